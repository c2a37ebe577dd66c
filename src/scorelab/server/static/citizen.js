/* One citizen's story, as `scorelab explain` tells it (GET /api/runs/{id}/citizens/{cid}):
 * who they are, every point change with its rule and sensor, and what they were denied. */
"use strict";

(async () => {
  const { api, el, $, number } = scorelab;
  const run = document.body.dataset.run;
  const id = document.body.dataset.citizen;

  $("citizen-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.href = `/runs/${run}/citizens/${$("citizen-id").value}`;
  });

  let story;
  try {
    story = await api(`/api/runs/${run}/citizens/${id}`);
  } catch (error) {
    $("story-head").textContent = `citizen ${id}`;
    $("story-error").textContent = error.message;
    return;
  }
  const a = story.attributes;
  $("story-head").textContent = `citizen ${story.citizen_id} (household ${a.household_id})`;
  $("story-who").textContent = `${a.sex}, ${a.age}, ${a.urban ? "urban" : "rural"} ` +
    `${a.region}, income decile ${a.income_decile}, ${a.occupation}`;
  $("story-outcome").textContent = `start ${story.start_score} → final ${story.final_score} ` +
    `(grade ${story.grade}); ${story.entries.length} ledger entries`;
  const columns = ["date", "kind", "rule", "behaviour", "sensor", "delta", "score", "wrongful"];
  const rows = story.entries.map((e) => el("tr", { class: e.wrongful ? "flagged" : null },
    el("td", { text: e.date }), el("td", { text: e.kind }), el("td", { text: e.rule }),
    el("td", { text: e.behaviour }), el("td", { text: e.sensor }),
    el("td", { class: "num", text: `${e.delta > 0 ? "+" : ""}${e.delta}` }),
    el("td", { class: "num", text: e.score_after }),
    el("td", { class: e.wrongful ? "error" : null, text: e.wrongful ? "yes" : "" })));
  $("ledger").replaceChildren(story.entries.length ? el("table", {},
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c,
      class: c === "delta" || c === "score" ? "num" : null })))),
    el("tbody", {}, rows)) : el("p", { class: "note", text: "No point changes." }));
  const denied = (a.denied_services || []).join(", ") || "none";
  $("story-totals").textContent = `records ${a.records} (${a.wrongful_records} wrongful), ` +
    `acts unseen ${a.unseen_acts}; denied ${a.denials} times (${denied}), ` +
    `${a.wrongful_denials} because of wrongful records; shamed ${a.shamed}; appeals ` +
    `${a.appeals} (won ${a.appeals_won}); rewards ${number(a.rewards_yuan)} yuan`;
  const check = $("story-reconciles");
  if (!story.in_ledger_sample) {
    check.textContent = "This citizen is outside the run's ledger sample: the entries are " +
      "missing, so the score cannot be reconciled.";
    check.className = "note";
  } else if (story.reconciles) {
    check.textContent = `reconciles: ${story.start_score} + sum of changes = ` +
      `${story.final_score}`;
    check.className = "good";
  } else {
    check.textContent = "does NOT reconcile with the ledger";
    check.className = "error";
  }
  document.title = `citizen ${story.citizen_id} · scorelab`;
  document.body.dataset.ready = "true";
})();
