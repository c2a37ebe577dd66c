/* A shared run: what its code asks for (GET /api/share/{code}), then the run itself. This
 * server runs it (POST /api/share/{code}) unless it has it already, done or on its way: the
 * same request is the same id here, so the same bytes or the cached result. */
"use strict";

(async () => {
  const { api, el, $, number } = scorelab;
  const code = document.body.dataset.code;
  try {
    const shared = await api(`/api/share/${code}`);
    const r = shared.request;
    const facts = [["policy", `${shared.about.policy_name} (${shared.about.policy_id})`],
      ["scenario", r.scenario_text !== null ? `${shared.about.scenario} (its text, sent ` +
        "with the link)" : shared.about.scenario],
      ["citizens", number(r.citizens)], ["days", number(r.days)], ["seed", r.seed],
      ["no-policy baseline", r.baseline ? "yes" : "no"], ["run id here", shared.id]];
    $("share-request").replaceChildren(...facts.flatMap(([name, value]) =>
      [el("dt", { text: name }), el("dd", { text: String(value) })]));
    const shipped = (await api("/api/policies")).find((p) => p.id === shared.about.policy_id);
    if (shipped) {
      const diff = await api("/api/policy/diff", { method: "POST", body: {
        policy: shipped.name, policy_text: r.policy_text } });
      scorelab.showDiff($("share-diff"), diff.diff);
    } else {
      $("share-diff").textContent = "No shipped policy has this id: the link carries the " +
        "whole policy text.";
    }
    const job = shared.job;
    const usable = job && ["done", "queued", "running"].includes(job.status);
    if (usable) {
      $("share-state").textContent = job.status === "done" ?
        "This server has run it before: the result below is that run's." :
        "This server is running it now.";
    } else {
      await api(`/api/share/${code}`, { method: "POST" });
      $("share-state").textContent = "This server had not run it: it is running it now, " +
        "with the same inputs, so to the same bytes.";
    }
    $("title").textContent = `A shared run: ${shared.about.policy_name}`;
    await scorelab.runView(shared.id);
  } catch (error) {
    $("share-error").textContent = error.message;
  }
})();
