// gas review: the page. Plain JavaScript and SVG, no build step. Every request carries the
// session token (images and links in their URL, the rest in the X-Review-Token header).
"use strict";

const TOKEN = document.body.dataset.token;
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 100;
const CODES = { added: "A", deleted: "D", modified: "M", label: "L" };
const FILTERS = ["change", "segment", "labelType", "category"];
const MASKS = ["SEMANTIC_MASK", "INSTANCE_MASK", "PANOPTIC_MASK"];
const STATUS_TEXT = {
  removed: "removed", added: "added", changed: "changed", unchanged: "unchanged",
};
const state = { offset: 0, total: 0, filters: {}, summary: null, selected: null, rows: [] };

// helpers ------------------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  return node;
}

async function api(path, params, options) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) url.searchParams.set(name, value);
  }
  const response = await fetch(url, {
    ...(options || {}),
    headers: { "X-Review-Token": TOKEN, "Content-Type": "application/json" },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error + (body.hint ? ` (${body.hint})` : ""));
  return body;
}

function fileUrl(path, side, mask, download) {
  const url = new URL("/file", location.origin);
  url.searchParams.set("path", path);
  url.searchParams.set("side", side);
  if (mask) url.searchParams.set("mask", mask);
  if (download) url.searchParams.set("download", "1");
  url.searchParams.set("token", TOKEN);
  return url.pathname + url.search;
}

function showError(error) {
  const box = document.getElementById("error");
  box.textContent = String(error.message || error);
  box.hidden = false;
}

function categoryText(category) {
  return category === "" ? "(no category)" : category;
}

function signed(number) {
  return number > 0 ? `+${number}` : String(number);
}

// filters and the list -----------------------------------------------------------------------
function fillFilters(facets) {
  for (const name of FILTERS) {
    const select = document.getElementById(`filter-${name}`);
    select.replaceChildren(el("option", { value: "" }, `(all: ${facets.total})`));
    for (const { value, count } of facets[name]) {
      const text = name === "category" ? categoryText(value) : value;
      select.append(el("option", { value: `=${value}` }, `${text} (${count})`));
    }
    select.addEventListener("change", () => {
      state.filters[name] = select.value ? select.value.slice(1) : undefined;
      state.offset = 0;
      loadItems().catch(showError);
    });
  }
}

async function loadItems() {
  const page = await api("/api/items", { ...state.filters, offset: state.offset, limit: PAGE });
  state.total = page.total;
  state.rows = page.items;
  renderItems(page.items);
  const last = Math.min(state.offset + page.items.length, page.total);
  document.getElementById("count").textContent =
    `${page.total} of ${state.summary.facets.total} changed items`;
  document.getElementById("page").textContent =
    page.total ? `${state.offset + 1}–${last} of ${page.total}` : "no items";
  document.getElementById("prev").disabled = state.offset === 0;
  document.getElementById("next").disabled = last >= page.total;
}

function renderItems(rows) {
  const box = document.getElementById("items");
  box.replaceChildren();
  let list = null;
  let segment = null;
  for (const row of rows) {
    if (row.segment !== segment || list === null) {
      segment = row.segment;
      const folder = row.path.slice(0, row.path.length - row.remotePath.length);
      box.append(el("h3", { class: "segment", "data-segment": segment }, folder));
      list = el("ul", { class: "segment-items", "data-segment": segment });
      box.append(list);
    }
    const item = el("li", {
      class: "item", tabindex: "0", "data-path": row.path, "data-change": row.change,
      title: row.path,
    }, el("span", { class: `code code-${CODES[row.change]}` }, CODES[row.change]),
    el("span", { class: "name" }, row.remotePath));
    if (row.path === state.selected) item.classList.add("selected");
    item.addEventListener("click", () => selectItem(row.path).catch(showError));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") selectItem(row.path).catch(showError);
    });
    list.append(item);
  }
}

function moveSelection(step) {
  const paths = state.rows.map((row) => row.path);
  const at = paths.indexOf(state.selected);
  const next = paths[at === -1 ? 0 : at + step];
  if (next !== undefined) selectItem(next).catch(showError);
}

// one item: before and after ---------------------------------------------------------------
async function selectItem(path) {
  state.selected = path;
  for (const node of document.querySelectorAll(".item")) {
    node.classList.toggle("selected", node.dataset.path === path);
  }
  const detail = document.getElementById("detail");
  detail.replaceChildren(el("p", { class: "hint" }, "Loading…"));
  const item = await api("/api/item", { path });
  if (state.selected !== path) return;
  const panes = el("div", { class: "panes" });
  const head = el("h2", { class: "item-head", "data-path": item.path, "data-change": item.change },
    el("span", { class: `code code-${CODES[item.change]}` }, CODES[item.change]), item.path);
  detail.replaceChildren(head, legend(), panes,
    el("h3", {}, "gas diff"), fieldDiff(item.text));
  for (const side of ["before", "after"]) panes.append(pane(item, side));
}

function legend() {
  return el("div", { class: "legend" },
    el("span", { class: "status-removed" }, "removed (before, dashed)"),
    el("span", { class: "status-added" }, "added (after)"),
    el("span", { class: "status-changed" }, "changed (dashed before, solid after)"),
    el("span", { class: "status-unchanged" }, "unchanged"));
}

function fieldDiff(lines) {
  const pre = el("pre", { class: "field-diff" });
  for (const line of lines) {
    const trimmed = line.trimStart();
    const kind = trimmed.startsWith("+ ") ? "add" : trimmed.startsWith("- ") ? "del" : null;
    pre.append(el("span", { class: kind }, line), "\n");
  }
  return pre;
}

function pane(item, side) {
  const data = item[side];
  const figure = el("figure", { class: "pane", "data-side": side },
    el("figcaption", {}, side === "before" ? "before" : "after"));
  if (!data.present) {
    figure.append(el("p", { class: "absent" },
      side === "before" ? "not in the old version (added)" : "not in the new version (deleted)"));
    figure.dataset.ready = "1";
    return figure;
  }
  if (item.media === "image") {
    figure.append(imageCanvas(item, side, data, figure));
  } else {
    figure.dataset.ready = "1";
    figure.append(el("p", { class: "note" }, "not an image: its label and a download link"));
  }
  figure.append(labelText(data.shapes, side),
    el("p", {}, el("a", { class: "download", href: fileUrl(item.path, side, null, true) },
      `download (${data.file.size} bytes)`)));
  return figure;
}

function imageCanvas(item, side, data, figure) {
  const canvas = svgEl("svg", { class: "canvas", "data-side": side, viewBox: "0 0 100 100" });
  const picture = svgEl("image", { x: 0, y: 0, href: fileUrl(item.path, side) });
  canvas.append(picture);
  const probe = new Image();
  probe.onload = () => {
    const width = probe.naturalWidth;
    const height = probe.naturalHeight;
    canvas.setAttribute("viewBox", `0 0 ${width} ${height}`);
    picture.setAttribute("width", width);
    picture.setAttribute("height", height);
    drawShapes(canvas, item, side, data.shapes, width, height);
    figure.dataset.ready = "1";
  };
  probe.onerror = () => {
    figure.append(el("p", { class: "note" }, "the image could not be loaded; labels drawn on " +
      "their own extent"));
    const [width, height] = extent(data.shapes);
    canvas.setAttribute("viewBox", `0 0 ${width} ${height}`);
    drawShapes(canvas, item, side, data.shapes, width, height);
    figure.dataset.ready = "1";
    figure.dataset.error = "1";
  };
  probe.src = fileUrl(item.path, side);
  return canvas;
}

function extent(shapes) {
  let width = 1;
  let height = 1;
  const visit = (value) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      if (typeof value.x === "number") width = Math.max(width, value.x);
      if (typeof value.y === "number") height = Math.max(height, value.y);
      if (typeof value.xmax === "number") width = Math.max(width, value.xmax);
      if (typeof value.ymax === "number") height = Math.max(height, value.ymax);
      Object.values(value).forEach(visit);
    }
  };
  shapes.forEach((shape) => visit(shape.instance));
  return [Math.ceil(width * 1.05), Math.ceil(height * 1.05)];
}

// shapes -------------------------------------------------------------------------------------
function points(list) {
  return (list || []).map((p) => `${p.x},${p.y}`).join(" ");
}

function pathOf(lists, closed) {
  return (lists || []).map((list) => (list || []).map((p, i) => `${i ? "L" : "M"}${p.x} ${p.y}`)
    .join(" ") + (closed ? " Z" : "")).join(" ");
}

function drawShapes(canvas, item, side, shapes, width, height) {
  for (const shape of shapes) {
    const node = shapeNode(shape, item, side, width, height);
    if (node === null) continue;
    node.setAttribute("data-label-type", shape.labelType);
    node.setAttribute("data-side", side);
    node.setAttribute("data-status", shape.status);
    node.setAttribute("data-index", shape.index);
    node.classList.add("shape", `status-${shape.status}`);
    const title = svgEl("title");
    title.textContent = describe(shape);
    node.append(title);
    canvas.append(node);
  }
}

function shapeNode(shape, item, side, width, height) {
  const value = shape.instance || {};
  switch (shape.labelType) {
    case "BOX2D": {
      const box = value.box2d || {};
      return svgEl("rect", {
        x: box.xmin, y: box.ymin, width: box.xmax - box.xmin, height: box.ymax - box.ymin,
      });
    }
    case "POLYGON":
      return classed(svgEl("polygon", { points: points(value.polygon) }), "filled");
    case "MULTI_POLYGON":
      return classed(svgEl("path", { d: pathOf(value.multiPolygon, true),
        "fill-rule": "evenodd" }), "filled");
    case "POLYLINE2D":
      return svgEl("polyline", { points: points(value.polyline2d) });
    case "MULTI_POLYLINE2D":
      return classed(svgEl("path", { d: pathOf(value.multiPolyline2d, false) }), "open");
    case "KEYPOINTS2D":
      return keypoints(value);
    default:
      if (MASKS.includes(shape.labelType)) return maskNode(shape, item, side, width, height);
      return null; // CLASSIFICATION, BOX3D, RLE, SENTENCE: as text only
  }
}

function classed(node, name) {
  node.classList.add(name);
  return node;
}

function keypoints(value) {
  const group = svgEl("g");
  const found = value.keypoints2d || [];
  const catalog = (state.summary.catalogs.after.KEYPOINTS2D ||
    state.summary.catalogs.before.KEYPOINTS2D || {});
  const definition = (catalog.keypoints || [])[0] || {};
  for (const [a, b] of definition.skeleton || []) {
    const p = found[a];
    const q = found[b];
    if (p && q && p.v !== 0 && q.v !== 0) {
      group.append(svgEl("line", { x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: "bone" }));
    }
  }
  for (const p of found) {
    if (p.v === 0) continue;
    group.append(svgEl("circle", { cx: p.x, cy: p.y, r: 3, class: "keypoint" }));
  }
  return group;
}

function maskNode(shape, item, side, width, height) {
  const url = fileUrl(item.path, side, shape.labelType);
  const node = svgEl("image", { x: 0, y: 0, width, height, class: "mask", href: url });
  colourMask(url, shape.status).then((coloured) => node.setAttribute("href", coloured))
    .catch(() => node.setAttribute("data-unavailable", "1"));
  return node;
}

const STATUS_COLOUR = {
  removed: [214, 39, 40], added: [44, 160, 44], changed: [255, 127, 14],
  unchanged: [31, 119, 180],
};

async function colourMask(url, status) {
  // pixel values are category or instance ids: 0 stays clear, others take the status colour,
  // lighter or darker by id so that neighbouring regions stay apart
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const [r, g, b] = STATUS_COLOUR[status] || STATUS_COLOUR.unchanged;
  for (let i = 0; i < pixels.data.length; i += 4) {
    const id = pixels.data[i];
    if (id === 0) {
      pixels.data[i + 3] = 0;
      continue;
    }
    const shade = 0.6 + ((id * 37) % 5) * 0.1;
    pixels.data[i] = Math.min(255, r * shade);
    pixels.data[i + 1] = Math.min(255, g * shade);
    pixels.data[i + 2] = Math.min(255, b * shade);
    pixels.data[i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL("image/png");
}

function describe(shape) {
  const value = shape.instance || {};
  const parts = [shape.labelType];
  if (value.category !== undefined) parts.push(value.category);
  if (value.attributes && Object.keys(value.attributes).length) {
    parts.push(JSON.stringify(value.attributes));
  }
  if (value.instance !== undefined) parts.push(`instance ${value.instance}`);
  return `${parts.join(" ")} (${STATUS_TEXT[shape.status]})`;
}

function labelText(shapes, side) {
  const list = el("ul", { class: "label-text", "data-side": side });
  for (const shape of shapes) {
    list.append(el("li", { class: `status-${shape.status}`, "data-text-type": shape.labelType },
      `${shape.labelType}[${shape.index}] ${describe(shape).slice(shape.labelType.length + 1)}`));
  }
  if (!shapes.length) list.append(el("li", { class: "absent" }, "no label"));
  return list;
}

// statistics ---------------------------------------------------------------------------------
async function loadStats() {
  const stats = await api("/api/stats");
  const body = document.querySelector("#stats-table tbody");
  body.replaceChildren();
  const bars = [];
  const sections = stats.segments.length > 1 ? [...stats.segments, stats.total] : stats.segments;
  for (const segment of sections) {
    const name = segment.segment === "" ? "total" : segment.segment;
    body.append(row(name, "", "", null, "segment-row", segment.segment));
    body.append(row(name, "items", "", segment.items, "items", segment.segment));
    body.append(row(name, "labelled items", "", segment.labelled, "labelled", segment.segment));
    for (const type of segment.labelTypes) {
      body.append(row(name, type.labelType, "", type, "type", segment.segment));
      for (const category of type.categories) {
        body.append(row(name, type.labelType, categoryText(category.category), category,
          "category", segment.segment, category.category));
        if (segment.segment !== "") bars.push({ segment: name, type: type.labelType, category });
      }
    }
  }
  document.getElementById("chart").replaceChildren(chart(bars));
}

function row(segment, type, category, count, kind, segmentName, categoryName) {
  const cells = [el("td", {}, segment), el("td", {}, type), el("td", {}, category)];
  if (count) {
    const delta = count.delta < 0 ? "negative" : count.delta > 0 ? "positive" : "";
    cells.push(el("td", { class: "before" }, String(count.before)),
      el("td", { class: "after" }, String(count.after)),
      el("td", { class: `delta ${delta}` }, signed(count.delta)));
  } else {
    cells.push(el("td", { colspan: "3" }));
  }
  const attributes = { class: kind === "segment-row" ? "segment-row" : null, "data-row": kind,
    "data-segment": segmentName };
  if (kind === "type" || kind === "category") attributes["data-label-type"] = type;
  if (kind === "category") attributes["data-category"] = categoryName;
  return el("tr", attributes, ...cells);
}

function chart(bars) {
  const line = 18;
  const left = 260;
  const width = 860;
  const most = Math.max(1, ...bars.map((bar) => Math.max(bar.category.before, bar.category.after)));
  const scale = (width - left - 60) / most;
  const canvas = svgEl("svg", { viewBox: `0 0 ${width} ${Math.max(1, bars.length) * line * 2 + 30}`,
    role: "img", "aria-label": "instances per category, before (grey) and after (blue)" });
  const key = svgEl("text", { x: 0, y: 12 });
  key.textContent = "grey: before, blue: after";
  canvas.append(key);
  bars.forEach((bar, index) => {
    const y = 24 + index * line * 2;
    const group = svgEl("g", { class: "bar", "data-segment": bar.segment,
      "data-label-type": bar.type, "data-category": bar.category.category });
    const label = svgEl("text", { x: 0, y: y + line - 4 });
    label.textContent = `${bar.segment} ${bar.type} ${categoryText(bar.category.category)}`;
    const before = svgEl("rect", { class: "before", x: left, y, height: line - 4,
      width: bar.category.before * scale, "data-value": bar.category.before });
    const after = svgEl("rect", { class: "after", x: left, y: y + line - 4, height: line - 4,
      width: bar.category.after * scale, "data-value": bar.category.after });
    const value = svgEl("text", { x: left + Math.max(bar.category.before, bar.category.after) *
      scale + 4, y: y + line - 4 });
    value.textContent = `${bar.category.before} → ${bar.category.after} (${signed(bar.category.delta)})`;
    group.append(label, before, after, value);
    canvas.append(group);
  });
  return canvas;
}

// the draft ----------------------------------------------------------------------------------
function setUpDraft(draft) {
  if (!draft) return;
  const box = document.getElementById("draft");
  box.hidden = false;
  document.getElementById("draft-title").textContent =
    `Draft #${draft.number} “${draft.title}” on branch ${draft.branch}`;
  document.getElementById("draft-message").value = draft.title;
  const status = document.getElementById("draft-status");
  const buttons = [document.getElementById("commit-draft"), document.getElementById("close-draft")];
  const finished = (text) => {
    status.textContent = text;
    buttons.forEach((button) => { button.disabled = true; });
  };
  if (draft.done) finished(draft.done);
  const act = async (action, question) => {
    if (!window.confirm(question)) return;
    buttons.forEach((button) => { button.disabled = true; });
    try {
      const message = document.getElementById("draft-message").value;
      const done = await api(`/api/draft/${action}`, {},
        { method: "POST", body: JSON.stringify({ message }) });
      finished(done.done);
    } catch (error) {
      buttons.forEach((button) => { button.disabled = false; });
      status.textContent = String(error.message);
    }
  };
  buttons[0].addEventListener("click", () => act("commit",
    `Commit draft #${draft.number} to branch ${draft.branch}?`));
  buttons[1].addEventListener("click", () => act("close",
    `Close draft #${draft.number} without committing it?`));
}

// start --------------------------------------------------------------------------------------
function setUpTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) {
        other.classList.toggle("active", other === tab);
        document.getElementById(other.dataset.tab).hidden = other !== tab;
      }
      if (tab.dataset.tab === "stats") loadStats().catch(showError);
    });
  }
}

async function start() {
  setUpTabs();
  const summary = await api("/api/summary");
  state.summary = summary;
  document.getElementById("versions").textContent = `${summary.old} → ${summary.new}` +
    (summary.source === "server" ? " (compared on the server)" : "");
  if (summary.catalog.length) {
    document.getElementById("catalog").append(el("h3", {}, "catalog.json"),
      fieldDiff(summary.catalog));
  }
  fillFilters(summary.facets);
  setUpDraft(summary.draft);
  document.getElementById("prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadItems().catch(showError);
  });
  document.getElementById("next").addEventListener("click", () => {
    state.offset += PAGE;
    loadItems().catch(showError);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT") return;
    if (event.key === "j") moveSelection(1);
    if (event.key === "k") moveSelection(-1);
  });
  await loadItems();
  document.body.dataset.ready = "1";
}

start().catch(showError);
