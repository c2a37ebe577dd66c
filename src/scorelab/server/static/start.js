/* The start page: the shipped policies (GET /api/policies) with their descriptions and
 * sources, the world (GET /api/scenarios), and the recent runs (GET /api/runs). */
"use strict";

(async () => {
  const { api, el, $ } = scorelab;
  const query = new URLSearchParams(location.search);

  function policyCard(policy, checked) {
    const radio = el("input", { type: "radio", name: "policy", value: policy.name,
                                id: `policy-${policy.name}`, checked });
    const sources = el("ul", { class: "sources" }, policy.sources.map((source) =>
      el("li", {}, source.url ? el("a", { href: source.url, text: source.title,
                                           rel: "noreferrer" }) : source.title,
         source.note ? ` (${source.note})` : "")));
    return el("label", { class: "policy", for: radio.id }, radio, " ",
      el("span", { class: "name", text: policy.title }),
      el("div", { class: "note", text: `${policy.description} · ${policy.jurisdiction}, ` +
                                       `version ${policy.version} · ${policy.name}.toml` }),
      el("details", {}, el("summary", {
        text: `${policy.sources.length} source${policy.sources.length === 1 ? "" : "s"}` }),
         sources));
  }

  const chosen = () => (document.querySelector("input[name=policy]:checked") || {}).value;
  let world = null;
  try {
    const policies = await api("/api/policies");
    const initial = query.get("policy") || "rongcheng";
    $("policies").replaceChildren(...policies.map((p) => policyCard(p,
      p.name === initial || (!policies.some((q) => q.name === initial) && p === policies[0]))));
    world = await scorelab.worldForm($("world"), Object.fromEntries(query));
  } catch (error) {
    $("start-error").textContent = error.message;
  }

  $("start-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!world || !chosen()) return;
    const target = new URLSearchParams({ policy: chosen(), ...world.values() });
    location.href = `/edit?${target}`;
  });

  $("run-button").addEventListener("click", async () => {
    if (!world || !chosen()) return;
    $("start-error").textContent = "";
    try {
      const { body, seed } = await world.request();
      const job = await api("/api/runs", { method: "POST",
        body: scorelab.requestJson({ policy: chosen(), ...body }, seed) });
      location.href = `/runs/${job.id}`;
    } catch (error) {
      $("start-error").textContent = error.message;
    }
  });

  try {
    $("runs").replaceChildren(scorelab.runsTable((await api("/api/runs")).slice(0, 10)));
  } catch (error) {
    $("runs").textContent = error.message;
  }
})();
