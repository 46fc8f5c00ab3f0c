// gas review: the page — the list of changed items (filters, pages), the draft's buttons, the
// tabs; common.js, draw.js and stats.js come first.
"use strict";

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
