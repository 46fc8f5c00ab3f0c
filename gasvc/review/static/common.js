// gas review: what the page's scripts share — constants, its state, DOM and request helpers.
// Plain JavaScript and SVG, no build step. Every request carries the session token (images
// and links in their URL, the rest in the X-Review-Token header).
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
