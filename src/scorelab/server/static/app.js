/* scorelab serve: what every page shares (docs/serve.md, "The pages").
 *
 * Vanilla JavaScript with no build step and nothing from the network: every call goes to
 * this server's JSON API (/api/...), the same one a notebook uses. Each page's own script
 * (start.js, editor.js, run.js, ...) runs after this one and uses `scorelab`.
 */
"use strict";

const scorelab = (() => {
  /** A refusal of the API: its HTTP status and errors [{message, line, key}]. */
  class ApiError extends Error {
    constructor(status, errors) {
      super(errors.map((e) => e.message).join("; ") || `HTTP ${status}`);
      this.status = status;
      this.errors = errors;
    }
  }

  /** Call the API; the parsed JSON, or an ApiError. `body`: an object, or JSON text. */
  async function api(path, { method = "GET", body } = {}) {
    const options = { method, headers: { accept: "application/json" } };
    if (body !== undefined) {
      options.headers["content-type"] = "application/json";
      options.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const errors = (data && data.errors) ||
        [{ message: text.slice(0, 300) || `HTTP ${response.status}`, line: null, key: null }];
      throw new ApiError(response.status, errors);
    }
    return data;
  }

  /** An element: attributes (class, text, on<event>, dataset via data-*), then children. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name in node && typeof value !== "string") node[name] = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);

  function number(value, digits = 0) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return Number(value).toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function percent(value, digits = 2) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return `${(100 * value).toFixed(digits)}%`;
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  /** The engine's state in the header; polled while it compiles. */
  async function engine() {
    const badge = $("engine");
    if (!badge) return;
    try {
      const status = await api("/api/status");
      const words = { ready: "engine ready",
                      compiling: "engine compiling (first start only): runs wait",
                      failed: `engine failed: ${status.error || ""}` };
      badge.textContent = `${words[status.engine] || status.engine} · ${status.running} ` +
        `running, ${status.queued} queued`;
      badge.className = `engine ${status.engine}`;
      if (status.engine === "compiling") setTimeout(engine, 2000);
    } catch (error) {
      badge.textContent = `server: ${error.message}`;
      badge.className = "engine failed";
    }
  }

  /** A run request's JSON with the seed written as its digits (JSON numbers lose them). */
  function requestJson(body, seed) {
    const json = JSON.stringify(body);
    if (!seed) return json;
    return `${json.slice(0, -1)}${Object.keys(body).length ? "," : ""}"seed":${seed}}`;
  }

  const SEED = /^\d{1,19}$/;

  /** The world's fields in `fieldset`: scenario, citizens, days, start date, seed. */
  async function worldForm(fieldset, initial = {}) {
    const scenarios = await api("/api/scenarios");
    const byName = Object.fromEntries(scenarios.map((s) => [s.name, s]));
    const select = el("select", { id: "scenario" }, scenarios.map((s) =>
      el("option", { value: s.name, text: `${s.name}: ${s.description}` })));
    const field = (id, label, attributes) => {
      const input = el("input", { id, ...attributes });
      return [input, el("label", {}, `${label} `, input)];
    };
    const [citizens, citizensLabel] = field("citizens", "population size",
      { type: "number", min: "1", step: "1", required: true });
    const [days, daysLabel] = field("days", "days", { type: "number", min: "1", step: "1",
                                                      required: true });
    const [start, startLabel] = field("start-date", "start date", { type: "date",
                                                                    required: true });
    const [seed, seedLabel] = field("seed", "seed", { type: "text", inputmode: "numeric",
      pattern: "[0-9]{1,19}", size: "20", required: true });
    const note = el("p", { class: "note", id: "world-note" });
    const fill = (scenario) => {
      citizens.value = scenario.citizens;
      days.value = scenario.days;
      start.value = scenario.start_date;
      seed.value = scenario.seed;
      note.textContent = `${scenario.name}: ${scenario.description}`;
    };
    select.addEventListener("change", () => fill(byName[select.value]));
    select.value = byName[initial.scenario] ? initial.scenario : scenarios[0].name;
    fill(byName[select.value]);
    if (initial.citizens) citizens.value = initial.citizens;
    if (initial.days) days.value = initial.days;
    if (initial.start_date) start.value = initial.start_date;
    if (initial.seed && SEED.test(initial.seed)) seed.value = initial.seed;
    fieldset.replaceChildren(el("legend", { text: "scenario, sizes and seed" }),
      el("label", {}, "scenario ", select), note, citizensLabel, daysLabel, startLabel,
      seedLabel);

    const values = () => ({ scenario: select.value, citizens: citizens.value,
                            days: days.value, start_date: start.value, seed: seed.value });
    return {
      values,
      /** The world's part of a run request: {body, seed}; the scenario's text if dated anew. */
      async request() {
        const v = values();
        if (!SEED.test(v.seed)) throw new ApiError(422, [{ message: "seed: digits only, 0 " +
          "to 2**63 - 1", key: "seed", line: null }]);
        const body = { citizens: Number(v.citizens), days: Number(v.days) };
        if (v.start_date && v.start_date !== byName[v.scenario].start_date) {
          const text = (await api(`/api/scenarios/${encodeURIComponent(v.scenario)}`)).text;
          const edited = await api("/api/edit", { method: "POST", body: {
            text, set: { "scenario.start_date": v.start_date } } });
          body.scenario_text = edited.text;
        } else {
          body.scenario = v.scenario;
        }
        return { body, seed: v.seed };
      },
    };
  }

  /** A table of runs (GET /api/runs's views), each linked to its page. */
  function runsTable(runs) {
    if (!runs.length) return el("p", { class: "note", text: "No runs yet." });
    const rows = runs.map((run) => {
      const r = run.request;
      return el("tr", {},
        el("td", {}, el("a", { href: `/runs/${run.id}`, text: run.id })),
        el("td", { text: run.status }),
        el("td", { text: run.about.policy_name || run.about.policy_id }),
        el("td", { text: run.about.scenario }),
        el("td", { class: "num", text: number(r.citizens) }),
        el("td", { class: "num", text: number(r.days) }),
        el("td", { class: "num", text: r.seed }),
        el("td", { text: (run.timings.queued_at || "").replace("T", " ").slice(0, 19) }));
    });
    return el("table", {}, el("thead", {}, el("tr", {}, ["run", "status", "policy",
      "scenario", "citizens", "days", "seed", "queued (UTC)"].map((name) =>
      el("th", { text: name, class: ["citizens", "days", "seed"].includes(name) ?
                 "num" : null })))), el("tbody", {}, rows));
  }

  /** A unified diff in `pre`, its added and removed lines marked. */
  function showDiff(pre, text) {
    if (!text) {
      pre.replaceChildren(el("span", { class: "note", text: "no changes" }));
      return;
    }
    pre.replaceChildren(...text.split("\n").filter((line) => line !== "").map((line) => {
      const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+++") ||
        line.startsWith("---") ? null : line.startsWith("+") ? "add" :
        line.startsWith("-") ? "del" : null;
      return el("span", { class: kind }, `${line}\n`);
    }));
  }

  /** What the server put in a chart page: the reports' plotly template and the vocabulary. */
  let pageData = null;
  function data() {
    if (pageData === null) {
      const node = $("scorelab-data");
      pageData = node ? JSON.parse(node.textContent) : {};
    }
    return pageData;
  }

  /** Draw a plotly chart in the element `id` as the reports draw theirs (a Promise). */
  function plot(id, traces, title, extra = {}) {
    $(id).replaceChildren();
    const layout = { template: data().template, title: { text: title }, height: 360,
                     margin: { l: 60, r: 20, t: 50, b: 50 },
                     font: { family: "system-ui, sans-serif", size: 13 }, ...extra };
    return Plotly.newPlot($(id), traces, layout, { displaylogo: false, responsive: true });
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** One "label: value" card. */
  const card = (value, label) => el("div", { class: "card" },
    el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));

  document.addEventListener("DOMContentLoaded", engine);

  return { ApiError, api, el, $, number, percent, debounce, engine, requestJson, SEED,
           worldForm, runsTable, showDiff, card, data, plot, sleep };
})();
