// dreamjobs gallery: streams postings from POST /api/generate (server-sent events over fetch).
"use strict";

// Read an SSE response body, calling handlers[event](data) for each event.
async function readEvents(response, handlers) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (handlers[event]) handlers[event](JSON.parse(data));
    }
  }
}

// Start one generation; view = {raw, frame, status}. Resolves with the saved posting's id.
async function generate(url, params, view) {
  view.raw.textContent = "";
  // A checkpoint not loaded yet makes its first posting wait for the model: say so, not just "generating".
  // Loading takes from a second to half a minute (the weights, the kernel, the corpus's indexes):
  // the status counts the seconds rather than guess them.
  const started = Date.now();
  const waiting = () => `loading the model… ${Math.round((Date.now() - started) / 1000)} s so far`;
  view.status.textContent = view.loading ? waiting() : "generating…";
  const ticker = view.loading ? setInterval(() => { view.status.textContent = waiting(); }, 1000) : null;
  view.status.className = "status running";
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({}, params, { stream: true })),
    });
  } finally {
    if (ticker) clearInterval(ticker);
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error; } catch (e) { /* not JSON */ }
    view.status.textContent = message;
    view.status.className = "status error";
    throw new Error(message);
  }
  let id = null;
  await readEvents(response, {
    meta: (d) => {
      // A guard the model samples without is said plainly, with why (charlm's Generator.guards_off).
      const off = (d.guards_off || []).join("; ");
      view.status.textContent = `generating with seed ${d.seed}…` + (off ? ` (${off})` : "");
    },
    chunk: (d) => {
      view.raw.textContent += d.text;
      view.raw.scrollTop = view.raw.scrollHeight;
      if (d.html !== undefined) view.frame.srcdoc = frameDocument(d.html);
    },
    done: (d) => {
      id = d.id;
      view.frame.srcdoc = frameDocument(d.html);
      if (view.badges) view.badges.innerHTML = d.badges;  // rendered by the server's badges macro
      view.status.innerHTML = "";
      const link = document.createElement("a");
      link.href = d.url;
      // A comparison's column is a part of the one gallery entry the comparison's own link opens.
      link.textContent = view.column ? `this column alone (#${d.id})` : `saved to the gallery as #${d.id}`;
      view.status.append("done: ", link);
      view.status.className = "status done";
    },
  });
  return id;
}

// The sanitized HTML (cleaned by the server with nh3) inside a plain page for the sandboxed frame,
// styled as the server styles a saved posting's page (corpus_format.FRAME_CSS, given in <body data-frame-css>).
function frameDocument(html) {
  const style = document.createElement("style");
  style.textContent = document.body.dataset.frameCss || "";
  return "<!doctype html><meta charset=utf-8>" + style.outerHTML + html;
}

function formParams(form) {
  const data = new FormData(form);
  const params = {};
  for (const [key, value] of data.entries()) {
    if (key !== "checkpoint") params[key] = value;
  }
  params.temperature = Number(params.temperature);
  params.length = Number(params.length);
  params.seed = params.seed === "" ? null : Number(params.seed);
  return params;
}

function wireCommon() {
  // A form that destroys something asks first (its data-confirm says what).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
  }
  const slider = document.getElementById("temperature");
  const shown = document.getElementById("temperature-value");
  if (slider && shown) slider.addEventListener("input", () => { shown.textContent = slider.value; });
  const dice = document.getElementById("new-seed");
  const seed = document.getElementById("seed");
  if (dice && seed) dice.addEventListener("click", () => { seed.value = Math.floor(Math.random() * 2147483647); });
}

function wireGenerate() {
  const form = document.getElementById("generate-form");
  if (!form) return;
  const view = { raw: document.getElementById("raw"), frame: document.getElementById("preview"),
                 status: document.getElementById("status") };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("generate");
    button.disabled = true;
    const params = formParams(form);
    params.checkpoint = form.elements.checkpoint.value;
    const option = form.elements.checkpoint.selectedOptions[0];
    view.loading = option && option.dataset.loaded === "false";
    const hint = document.getElementById("hint");
    if (hint) hint.hidden = true;
    try {
      await generate(form.dataset.streamUrl, params, view);
      if (option) option.dataset.loaded = "true";
    } catch (e) { /* shown in status */ }
    button.disabled = false;
  });
}

function wireCompare() {
  const form = document.getElementById("compare-form");
  if (!form) return;
  const columns = document.getElementById("columns");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll("input[name=checkpoint]:checked")];
    if (chosen.length < 2) {
      status.textContent = "choose at least two checkpoints";
      status.className = "status error";
      return;
    }
    status.textContent = "";
    const params = formParams(form);
    if (params.seed === null) params.seed = Math.floor(Math.random() * 2147483647);
    params.checkpoints = chosen.map((box) => box.value);
    columns.innerHTML = "";
    // One comparison holds the settings; each column is generated as a part of it.
    const created = await fetch(form.dataset.comparisonUrl, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(params) });
    const comparison = await created.json();
    if (!created.ok) {
      status.textContent = comparison.error || created.statusText;
      status.className = "status error";
      return;
    }
    const views = chosen.map((box) => {
      const col = document.createElement("article");
      col.className = "column";
      const title = document.createElement("h2");
      title.textContent = box.dataset.label;
      const run = document.createElement("p");
      run.className = "meta";
      run.textContent = box.dataset.run;
      const st = document.createElement("p");
      st.className = "status";
      const marks = document.createElement("div");
      marks.className = "column-badges";
      const frame = document.createElement("iframe");
      frame.setAttribute("sandbox", "");
      const raw = document.createElement("pre");
      col.append(title, run, st, marks, frame, raw);
      columns.append(col);
      return { id: box.value, raw, frame, status: st, badges: marks, column: true };
    });
    // All at once: each checkpoint's rows join its model's batch (charlm/sampling/server.py).
    await Promise.all(views.map((view) =>
      generate(form.dataset.streamUrl, { checkpoint: view.id, comparison: comparison.id }, view).catch(() => {})));
    status.innerHTML = "";
    const link = document.createElement("a");
    link.href = comparison.url;
    link.textContent = `saved to the gallery as comparison #${comparison.id}`;
    status.append("done: ", link);
    status.className = "status done";
  });
}

// The training page: refetch it and swap in the runs, so new epochs and points appear as they are logged.
function wireTraining() {
  const runs = document.getElementById("runs");
  if (!runs) return;
  const every = 1000 * Number(runs.dataset.refreshSeconds || 5);
  const refresh = async () => {
    if (document.visibilityState === "visible") {
      try {
        const response = await fetch(window.location.href, { headers: { "Accept": "text/html" } });
        if (response.ok) {
          const page = new DOMParser().parseFromString(await response.text(), "text/html");
          const fresh = page.getElementById("runs");
          if (fresh && fresh.innerHTML !== runs.innerHTML) runs.innerHTML = fresh.innerHTML;
        }
      } catch (e) { /* the server is restarting; try again next time */ }
    }
    setTimeout(refresh, every);
  };
  setTimeout(refresh, every);
}

document.addEventListener("DOMContentLoaded", () => { wireCommon(); wireGenerate(); wireCompare(); wireTraining(); });
