/* A run: its live progress (cancellable), then its results: the summary, charts drawn from
 * its daily table with the reports' plotly template, a citizen's story, comparisons, the
 * share link, downloads and the run's own report.html. The run page and the share page
 * both show a run this way (scorelab.runView). */
"use strict";

(() => {
  const { api, el, $, number, percent, card, plot } = scorelab;
  const DATA = scorelab.data();
  const SERVICES = Object.keys(DATA.services || {});
  const SENSORS = Object.keys(DATA.sensors || {});

  function nothing(id, sentence) {  // a sentence rather than an empty plot, as the report does
    $(id).replaceChildren(el("p", { class: "note", text: sentence }));
    $(id).classList.remove("plotly-graph-div");
    $(id).classList.add("empty");
  }

  const sum = (values) => values.reduce((a, b) => a + (b || 0), 0);
  const column = (rows, name) => rows.map((row) => row[name]);
  const cumulative = (values) => { let t = 0; return values.map((v) => (t += v || 0)); };
  const perDay = (rows, names) => rows.map((row) => sum(names.map((n) => row[n])));

  // -- the summary -----------------------------------------------------------------------
  function summaryCards(summary) {
    const people = summary.citizens;
    const cards = [[number(people), "citizens", "citizens"],
                   [`${number(summary.mean_score, 1)} / ${number(summary.median_score)}`,
                    "mean / median score at the end", "score"]];
    for (const [key, value] of Object.entries(summary)) {
      if (key.startsWith("grade_")) {
        cards.push([number(value), `grade ${key.slice(6)} (${percent(value / people)})`, key]);
      }
    }
    for (const [key, value] of Object.entries(summary)) {
      if (key.startsWith("listed_")) {
        cards.push([number(value), `on the list '${key.slice(7)}' at the end`, key]);
      }
    }
    for (const [key, label] of [["acts", "acts committed"], ["unseen_acts", "acts nobody saw"],
      ["records", "records"], ["wrongful_records", "wrongful records"],
      ["denials", "services denied"],
      ["wrongful_denials", "denied only because of a false record"],
      ["shamed", "publicly shamed"], ["wrongful_shamed", "shamed wrongly"],
      ["appeals", "appeals"], ["appeals_won", "appeals won"]]) {
      cards.push([number(summary[key]), label, key]);
    }
    cards.push([number(summary.rewards_yuan), "yuan of rewards", "rewards_yuan"]);
    $("summary").replaceChildren(...cards.map(([value, label, key]) => {
      const node = card(value, label);
      node.dataset.measure = key;
      return node;
    }));
  }

  // -- the charts --------------------------------------------------------------------------
  async function charts(id, summary) {
    const grades = Object.keys(summary).filter((k) => k.startsWith("grade_"));
    const lists = Object.keys(summary).filter((k) => k.startsWith("listed_"));
    const denied = SERVICES.map((s) => `denied_${s}`);
    const wrongful = SERVICES.map((s) => `wrongful_denied_${s}`);
    const rewards = SERVICES.map((s) => `reward_yuan_${s}`);
    const records = SENSORS.map((s) => `wrongful_records_by_${s}`);
    const quantiles = ["score_p10", "score_p25", "score_p50", "score_p75", "score_p90"];
    const columns = ["date", "population", "score_mean", ...quantiles, ...grades, ...lists,
                     ...denied, ...wrongful, ...rewards, ...records];
    const rows = await api(`/api/runs/${id}/daily?dimension=all&columns=${columns.join(",")}`);
    const x = column(rows, "date");
    const line = (name, y, extra = {}) => ({ type: "scatter", mode: "lines", name, x, y,
                                             ...extra });
    const drawn = [plot("chart-scores", [
      line("10%", column(rows, "score_p10"), { line: { width: 0 }, showlegend: false }),
      line("10-90%", column(rows, "score_p90"), { fill: "tonexty", line: { width: 0 },
                                                   fillcolor: "rgba(31,95,168,0.15)" }),
      line("25%", column(rows, "score_p25"), { line: { width: 0 }, showlegend: false }),
      line("25-75%", column(rows, "score_p75"), { fill: "tonexty", line: { width: 0 },
                                                   fillcolor: "rgba(31,95,168,0.3)" }),
      line("median", column(rows, "score_p50"), { line: { color: "#1f5fa8" } }),
      line("mean", column(rows, "score_mean"), { line: { dash: "dot", color: "#14213d" } }),
    ], "Scores over time", { yaxis: { title: { text: "score" } } })];
    drawn.push(plot("chart-grades", grades.map((g) => line(g.slice(6),
      rows.map((row) => row[g] / row.population), { stackgroup: "grades" })),
    "Share of the population in each grade", { yaxis: { tickformat: ".0%" } }));
    if (lists.length) {
      drawn.push(plot("chart-listed", lists.map((l) => line(l.slice(7), column(rows, l))),
        "People on each list", { yaxis: { title: { text: "people" } } }));
    } else {
      nothing("chart-listed", "This policy has no lists.");
    }
    drawn.push(plot("chart-wrongful", [
      line("denials", cumulative(perDay(rows, denied))),
      line("denials only because of a false record", cumulative(perDay(rows, wrongful)),
           { line: { color: "#b3261e" } }),
      line("wrongful records", cumulative(perDay(rows, records)),
           { line: { dash: "dot", color: "#b3261e" } }),
    ], "Denials and wrongful harm, added up", { yaxis: { title: { text: "count" } } }));
    const totals = (names) => names.map((n) => sum(column(rows, n)));
    const deniedTotals = totals(denied);
    const shown = SERVICES.filter((_, i) => deniedTotals[i] > 0);
    if (shown.length) {
      drawn.push(plot("chart-denied", [
        { type: "bar", name: "denied", x: shown, y: shown.map((s) => deniedTotals[
          SERVICES.indexOf(s)]) },
        { type: "bar", name: "only because of a false record", x: shown,
          y: shown.map((s) => sum(column(rows, `wrongful_denied_${s}`))),
          marker: { color: "#b3261e" } }],
      "Services denied over the run", { barmode: "group" }));
    } else {
      nothing("chart-denied", "No one was denied a service in this run.");
    }
    const rewardTotals = totals(rewards);
    const paid = SERVICES.filter((_, i) => rewardTotals[i] > 0);
    if (paid.length) {
      drawn.push(plot("chart-rewards", [{ type: "bar", name: "yuan", x: paid,
        y: paid.map((s) => rewardTotals[SERVICES.indexOf(s)]), marker: { color: "#1b7f3b" } }],
      "Rewards by service over the run, in yuan"));
    } else {
      nothing("chart-rewards", "No one was rewarded in this run.");
    }
    await Promise.all(drawn);
    return { deniedTotals, services: shown };
  }

  async function disparities(id, summary) {
    const dimension = $("dimension").value;
    const lists = Object.keys(summary).filter((k) => k.startsWith("listed_"));
    const columns = ["day", "group", "population", ...lists,
                     ...SERVICES.map((s) => `denied_${s}`),
                     ...SERVICES.map((s) => `wrongful_denied_${s}`),
                     ...SENSORS.map((s) => `wrongful_records_by_${s}`)];
    const rows = await api(`/api/runs/${id}/daily?dimension=${dimension}` +
                           `&columns=${columns.join(",")}`);
    const last = Math.max(...rows.map((row) => row.day));
    const groups = [...new Set(rows.map((row) => String(row.group)))];
    const rate = (names, lastDayOnly = false) => groups.map((group) => {
      const mine = rows.filter((row) => String(row.group) === group);
      const end = mine.find((row) => row.day === last) || mine[mine.length - 1];
      const chosen = lastDayOnly ? [end] : mine;
      return end.population ? 1000 * sum(chosen.map((row) => sum(names.map((n) => row[n])))) /
        end.population : null;
    });
    const traces = [
      { name: "denials", names: SERVICES.map((s) => `denied_${s}`) },
      { name: "denials only because of a false record",
        names: SERVICES.map((s) => `wrongful_denied_${s}`) },
      { name: "wrongful records", names: SENSORS.map((s) => `wrongful_records_by_${s}`) },
      ...lists.map((l) => ({ name: `on the list '${l.slice(7)}' at the end`, names: [l],
                             last: true }))]
      .map((t) => ({ type: "bar", name: t.name, x: groups, y: rate(t.names, t.last) }));
    await plot("chart-groups", traces, `Per 1,000 people, by ${dimension}`,
               { barmode: "group", xaxis: { type: "category" } });
  }

  // -- a citizen, comparisons, sharing, downloads --------------------------------------------
  function someoneChoices(summary, services) {
    const options = services.map((s) => [`svc:${s}`,
      `denied ${s} (${DATA.services[s] || s}) because of a false record`]);
    options.push(["svc:", "denied any service because of a false record"],
                 ["wrongful_records", "recorded for an act they did not commit"]);
    if (summary.shamed) options.push(["wrongful_shamed", "shamed for a false match"]);
    options.push(["lowest", "with the lowest score"]);
    $("someone").replaceChildren(...options.map(([value, text]) =>
      el("option", { value, text })));
  }

  async function findSomeone(id) {
    const choice = $("someone").value;
    let filter = "sort=score";
    if (choice.startsWith("svc:")) {
      const service = choice.slice(4);
      filter = `wrongful_denials_min=1&sort=-wrongful_denials` +
        (service ? `&denied_services=${encodeURIComponent(service)}` : "");
    } else if (choice !== "lowest") {  // the lowest score of those: most likely hurt by it
      filter = `${choice}_min=1&sort=score`;
    }
    const found = await api(`/api/runs/${id}/citizens?${filter}&limit=1&columns=citizen_id`);
    if (!found.length) {
      $("someone-note").textContent = "Nobody in this run.";
      return;
    }
    location.href = `/runs/${id}/citizens/${found[0].citizen_id}`;
  }


  async function compareWithShipped(id, view) {
    $("compare-error").textContent = "";
    try {
      const { request, seed } = await scorelab.exactRequest(id);
      const body = { policy: view.about.policy_id, citizens: request.citizens,
                     days: request.days, baseline: request.baseline,
                     ledger_sample: request.ledger_sample, report: request.report };
      if (request.scenario_text !== null) body.scenario_text = request.scenario_text;
      else if (request.scenario !== null) body.scenario = request.scenario;
      const shipped = await api("/api/runs", { method: "POST",
                                               body: scorelab.requestJson(body, seed) });
      location.href = `/compare?a=${shipped.id}&b=${id}`;
    } catch (error) {
      $("compare-error").textContent = error.status === 422 ?
        `${error.message} (is this policy's id a shipped policy's?)` : error.message;
    }
  }

  async function others(id) {
    const runs = (await api("/api/runs")).filter((r) => r.status === "done" && r.id !== id);
    $("other-run").replaceChildren(...runs.map((r) => el("option", { value: r.id,
      text: `${r.id}: ${r.about.policy_id}, ${r.about.scenario}, ${number(r.request.citizens)}` +
            ` x ${r.request.days} days, seed ${r.request.seed}` })));
  }

  function downloads(id, view) {
    const files = ["report.html", "daily.parquet", "citizens.parquet", "ledger.parquet",
                   "audit.parquet", ...(view.request.baseline ? ["baseline.parquet"] : []),
                   "manifest.json", "policy.toml", "scenario.toml", "request.json"];
    const links = files.map((name) => el("li", {}, el("a", {
      href: `/api/runs/${id}/files/${name}`, download: `${id}-${name}`, text: name })));
    links.push(el("li", {}, el("a", { href: `/api/runs/${id}/daily?format=csv`,
                                      download: `${id}-daily.csv`, text: "daily.csv" })),
               el("li", {}, el("a", { href: `/api/runs/${id}/citizens?format=csv&limit=1000000`,
                                      download: `${id}-citizens.csv`,
                                      text: "citizens.csv (the first 1,000,000)" })));
    $("downloads").replaceChildren(...links);
  }

  async function results(id, view) {
    const summary = await api(`/api/runs/${id}/summary`);
    summaryCards(summary);
    $("results").hidden = false;
    const shared = await api(`/api/runs/${id}/share`);
    $("share-url").value = `${location.origin}${shared.url}`;
    $("share-link").href = shared.url;
    downloads(id, view);
    const { services } = await charts(id, summary);
    someoneChoices(summary, services);
    $("dimension").addEventListener("change", () => disparities(id, summary));
    await disparities(id, summary);
    $("citizen-form").addEventListener("submit", (event) => {
      event.preventDefault();
      location.href = `/runs/${id}/citizens/${$("citizen-id").value}`;
    });
    $("someone-form").addEventListener("submit", (event) => {
      event.preventDefault();
      findSomeone(id).catch((error) => { $("someone-note").textContent = error.message; });
    });
    $("baseline-button").addEventListener("click", () => compareWithShipped(id, view));
    $("seeds-form").addEventListener("submit", (event) => {
      event.preventDefault();
      location.href = `/seeds?of=${id}&replicates=${$("replicates").value}`;
    });
    $("other-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if ($("other-run").value) location.href = `/compare?a=${$("other-run").value}&b=${id}`;
    });
    await others(id);
    $("report").src = `/api/runs/${id}/files/report.html`;
    document.body.dataset.results = "ready";
  }

  // -- progress ----------------------------------------------------------------------------
  function about(view) {
    const r = view.request;
    return `${view.about.policy_name} (${view.about.policy_id}) on ${number(r.citizens)} ` +
      `citizens for ${number(r.days)} days, scenario ${view.about.scenario}, seed ${r.seed}.`;
  }

  scorelab.runView = async (id) => {
    let view;
    try {
      view = await api(`/api/runs/${id}`);
    } catch (error) {
      $("run-error").textContent = error.message;
      return;
    }
    $("run-about").textContent = about(view);
    const cancel = $("cancel-button");
    const resume = $("resume-button");
    let shown = false;
    const show = (current, failure) => {
      if (!current) {
        $("run-error").textContent = failure ? failure.message : "lost the run";
        return;
      }
      $("progress").value = current.status === "done" ? 1 : (current.progress || {}).fraction
        || 0;
      $("progress-label").textContent = scorelab.progressText(current);
      $("progress-section").dataset.status = current.status;
      cancel.hidden = !["queued", "running"].includes(current.status);
      resume.hidden = current.status !== "interrupted";
      if (current.status === "done" && !shown) {
        shown = true;
        results(id, current).catch((error) => { $("run-error").textContent = error.message; });
      }
    };
    cancel.addEventListener("click", async () => {
      try {
        show(await api(`/api/runs/${id}`, { method: "DELETE" }));
      } catch (error) {
        $("run-error").textContent = error.message;
      }
    });
    resume.addEventListener("click", async () => {
      try {
        await api(`/api/runs/${id}/resume`, { method: "POST" });
        scorelab.follow(id, show);
      } catch (error) {
        $("run-error").textContent = error.message;
      }
    });
    show(view);
    if (!scorelab.ENDED.includes(view.status)) scorelab.follow(id, show);
  };

  if (document.body.dataset.page === "run") scorelab.runView(document.body.dataset.run);
})();
