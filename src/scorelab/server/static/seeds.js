/* A run's request on several seeds (/seeds?of=<id>&replicates=N): replicate r's seed is
 * replicate_seed(seed, r) (GET /api/seeds), as experiments and compare --replicates derive
 * them. Each is an ordinary run (POST /api/runs: the same request is the same job, so a
 * reload runs nothing twice), posted as the queue has room; once all are done, each daily
 * series is drawn as its median and 5-95% band over the seeds, and each summary measure
 * as its median and range. */
"use strict";

(async () => {
  const { api, el, $, number, plot, sleep } = scorelab;
  const DATA = scorelab.data();
  const SERVICES = Object.keys(DATA.services || {});
  const SENSORS = Object.keys(DATA.sensors || {});
  const query = new URLSearchParams(location.search);
  const of = query.get("of");
  const replicates = Number(query.get("replicates") || 5);

  function quantile(values, q) {
    const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    if (!sorted.length) return null;
    const position = (sorted.length - 1) * q;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
  }

  /** Post a run once the queue has room (no refusal to log), retrying if it filled up. */
  async function submit(body) {
    for (;;) {
      const status = await api("/api/status");
      if (status.queued < status.max_queued) {
        try {
          return await api("/api/runs", { method: "POST", body });
        } catch (error) {
          if (error.status !== 429) throw error;
        }
      }
      await sleep(500);
    }
  }

  function follow(id, label) {
    const row = el("p", { class: "waiting" });
    $("seeds-wait").append(row);
    const bar = scorelab.progressBar(row, label);
    return new Promise((resolve, reject) => {
      scorelab.follow(id, (view, failure) => {
        if (!view) {
          reject(failure);
          return;
        }
        bar.update(view);
        if (view.status === "done") resolve(view);
        else if (scorelab.ENDED.includes(view.status)) {
          reject(new Error(`run ${id} is ${view.status}${view.error ? `: ${view.error}` : ""}`));
        }
      });
    });
  }

  const sum = (values) => values.reduce((a, b) => a + (b || 0), 0);
  const cumulative = (values) => { let t = 0; return values.map((v) => (t += v || 0)); };

  function band(id, title, x, series, unit) {
    const at = (q) => x.map((_, day) => quantile(series.map((s) => s[day]), q));
    return plot(id, [
      { type: "scatter", mode: "lines", name: "5%", x, y: at(0.05), line: { width: 0 },
        showlegend: false },
      { type: "scatter", mode: "lines", name: "5-95% of the seeds", x, y: at(0.95),
        fill: "tonexty", line: { width: 0 }, fillcolor: "rgba(31,95,168,0.25)" },
      { type: "scatter", mode: "lines", name: "median", x, y: at(0.5),
        line: { color: "#1f5fa8" } }],
    `${title} over ${series.length} seeds`, { yaxis: { title: { text: unit } },
                                              legend: { orientation: "h", y: -0.15 } });
  }

  async function draw(ids, summaries) {
    const lists = Object.keys(summaries[0]).filter((k) => k.startsWith("listed_"));
    const denied = SERVICES.map((s) => `denied_${s}`);
    const wrongful = SERVICES.map((s) => `wrongful_denied_${s}`);
    const records = SENSORS.map((s) => `wrongful_records_by_${s}`);
    const columns = ["date", "score_mean", ...lists, ...denied, ...wrongful, ...records];
    const tables = await Promise.all(ids.map((id) => api(
      `/api/runs/${id}/daily?dimension=all&columns=${columns.join(",")}`)));
    const x = tables[0].map((row) => row.date);
    const per = (names, add) => tables.map((rows) => {
      const daily = rows.map((row) => sum(names.map((n) => row[n])));
      return add ? cumulative(daily) : daily;
    });
    const drawn = [band("band-score", "Mean score", x, per(["score_mean"]), "score"),
                   band("band-records", "Wrongful records", x, per(records, true), "count"),
                   band("band-denials", "Denials", x, per(denied, true), "count"),
                   band("band-wrongful", "Denials only because of a false record", x,
                        per(wrongful, true), "count")];
    if (lists.length) drawn.push(band("band-listed", `On the list '${lists[0].slice(7)}'`, x,
                                      per([lists[0]]), "people"));
    else {
      $("band-listed").replaceChildren(el("p", { class: "note",
                                                 text: "This policy has no lists." }));
      $("band-listed").classList.remove("plotly-graph-div");
    }
    await Promise.all(drawn);
  }

  function summaryTable(summaries) {
    const keys = Object.keys(summaries[0]).filter((k) => typeof summaries[0][k] === "number");
    const digits = (key) => (key === "mean_score" ? 1 : 0);
    return el("table", {}, el("thead", {}, el("tr", {}, ["measure", "median", "5%", "95%"]
      .map((name, i) => el("th", { text: name, class: i ? "num" : null })))),
    el("tbody", {}, keys.map((key) => {
      const values = summaries.map((s) => s[key]);
      return el("tr", { "data-measure": key }, el("td", { text: key }),
        ...[0.5, 0.05, 0.95].map((q) => el("td", { class: "num",
                                                   text: number(quantile(values, q),
                                                                digits(key)) })));
    })));
  }

  try {
    if (!of) throw new Error("no run given: open this page from a run's page");
    const { view, request, seed } = await scorelab.exactRequest(of);
    $("seeds-about").replaceChildren(`${view.about.policy_name} on ${number(request.citizens)} ` +
      `citizens for ${number(request.days)} days, scenario ${view.about.scenario}: `,
      `${replicates} replicate seeds of seed ${seed} (the request of `,
      el("a", { href: `/runs/${of}`, text: `run ${of}` }), ").");
    const seeds = (await api(`/api/seeds?seed=${seed}&replicates=${replicates}`)).text;
    const body = Object.fromEntries(Object.entries(request).filter(([key, value]) =>
      key !== "seed" && value !== null));
    const waits = [];
    for (const [r, text] of seeds.entries()) {
      const job = await submit(scorelab.requestJson(body, text));
      waits.push(follow(job.id, `seed ${r + 1} (${text})`));
    }
    const ids = (await Promise.all(waits)).map((done) => done.id);
    const summaries = await Promise.all(ids.map((id) => api(`/api/runs/${id}/summary`)));
    $("seeds-summary").replaceChildren(summaryTable(summaries));
    $("bands").hidden = false;
    await draw(ids, summaries);
    document.body.dataset.ready = "true";
  } catch (error) {
    $("seeds-error").textContent = error.message;
  }
})();
