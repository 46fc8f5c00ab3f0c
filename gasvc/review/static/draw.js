// gas review: one changed item, before and after — its images with the labels drawn over them
// in SVG (removed, added, changed, unchanged), the label as text, the `gas diff` lines.
"use strict";

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
