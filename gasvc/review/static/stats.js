// gas review: the statistics tab — label counts per segment, type and category, as a table and
// an SVG bar chart.
"use strict";

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
