/* Two runs side by side (GET /api/compare?a=&b=): the inputs that differ and every measure of
 * `scorelab compare`, B minus A, section by section (the disparities section per group).
 * Runs that are still queued or running are followed until both are done. */
"use strict";

(async () => {
  const { api, el, $, number, percent } = scorelab;
  const query = new URLSearchParams(location.search);
  const a = query.get("a");
  const b = query.get("b");

  function shown(value, unit) {
    if (value === null || value === undefined) return "–";
    if (unit === "share") return percent(value);
    if (unit === "ratio") return number(value, 2);
    if (typeof value === "number" && !Number.isInteger(value)) return number(value, 1);
    return typeof value === "number" ? number(value) : String(value);
  }

  async function choices() {
    const runs = (await api("/api/runs")).filter((r) => r.status === "done");
    for (const [select, chosen] of [[$("run-a"), a], [$("run-b"), b]]) {
      const options = runs.map((r) => el("option", { value: r.id, text: `${r.id}: ` +
        `${r.about.policy_id}, ${r.about.scenario}, ${number(r.request.citizens)} x ` +
        `${r.request.days} days, seed ${r.request.seed}` }));
      if (chosen && !runs.some((r) => r.id === chosen)) {
        options.unshift(el("option", { value: chosen, text: chosen }));
      }
      select.replaceChildren(...options);
      if (chosen) select.value = chosen;
    }
  }

  function waitFor(id, label) {
    const row = el("p", { class: "waiting" });
    $("compare-wait").append(row);
    const bar = scorelab.progressBar(row, `${label} (${id})`);
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

  function inputsTable(comparison) {
    return el("table", {}, el("thead", {}, el("tr", {}, ["input", "A", "B"].map((name) =>
      el("th", { text: name })))), el("tbody", {}, comparison.inputs.map((row) =>
      el("tr", { class: row.a === row.b ? "same" : "flagged" }, el("td", { text: row.input }),
         el("td", { text: row.a }), el("td", { text: row.b })))));
  }

  function measuresTables(comparison) {
    const sections = [...new Set(comparison.rows.map((row) => row.section))];
    return sections.map((section) => {
      const rows = comparison.rows.filter((row) => row.section === section);
      return el("div", { class: "section", "data-section": section },
        el("h3", { text: section }),
        el("table", {}, el("thead", {}, el("tr", {}, ["measure", "unit", "A", "B", "B - A",
          "change"].map((name, i) => el("th", { text: name, class: i > 1 ? "num" : null })))),
          el("tbody", {}, rows.map((row) => el("tr", { class: row.differs ? "differs" : "same",
            "data-measure": row.measure },
            el("td", { text: row.measure }), el("td", { text: row.unit }),
            el("td", { class: "num", text: shown(row.a, row.unit) }),
            el("td", { class: "num", text: shown(row.b, row.unit) }),
            el("td", { class: "num", text: shown(row.difference, row.unit) }),
            el("td", { class: "num", text: row.relative_change === null ? "–" :
                       percent(row.relative_change, 1) }))))));
    });
  }

  function onlyDiffering() {
    const only = $("only-differ").checked;
    for (const row of document.querySelectorAll("#measures tr.same")) row.hidden = only;
    for (const block of document.querySelectorAll("#measures .section")) {
      block.hidden = only && !block.querySelector("tr.differs");
    }
  }

  $("compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.href = `/compare?a=${$("run-a").value}&b=${$("run-b").value}`;
  });
  $("only-differ").addEventListener("change", onlyDiffering);

  try {
    await choices();
    if (!a || !b) return;
    await Promise.all([waitFor(a, "A"), waitFor(b, "B")]);
    const [comparison] = await Promise.all([api(`/api/compare?a=${a}&b=${b}`),
                                            choices()]); // both are done now: describe them
    $("title").textContent = "Compare two runs";
    $("compare-wait").replaceChildren(
      el("p", {}, "A: ", el("a", { href: `/runs/${a}`, text: comparison.labels[0] })),
      el("p", {}, "B: ", el("a", { href: `/runs/${b}`, text: comparison.labels[1] })));
    $("inputs").replaceChildren(inputsTable(comparison));
    $("measures").replaceChildren(...measuresTables(comparison));
    if (!comparison.rows.some((row) => row.differs)) {
      $("measures").prepend(el("p", { class: "good", text: "No measure differs." }));
    }
    onlyDiffering();
    $("compare-page").href = comparison.page;
    $("comparison").hidden = false;
    document.body.dataset.ready = "true";
  } catch (error) {
    $("compare-error").textContent = error.message;
  }
})();
