/* The policy editor: every rule, grade, list, sanction and reward as controls, the full TOML
 * text, validation as you type, and the diff against the shipped policy.
 *
 * A set of names (a rule's sensors, a list's entry behaviours) is a group of checkboxes.
 * The text is the one source of truth. A control's change is written into it in place by
 * POST /api/edit (only the value's characters change); the text is then checked by
 * POST /api/validate, the loader `scorelab validate` runs, whose error names the key (shown
 * beside its control) and the line (marked in the text view), answered by
 * POST /api/policy/check (the same check, an invalid text's errors in a 200 answer, since
 * an invalid text is the editor's ordinary state); POST /api/policy/diff shows
 * what differs from the shipped file and POST /api/policy/controls reads the controls back.
 */
"use strict";

(async () => {
  const { api, el, $ } = scorelab;
  const query = new URLSearchParams(location.search);
  const name = query.get("policy") || "rongcheng";
  const textarea = $("policy-text");
  const state = { text: "", valid: false, keys: "", generation: 0 };
  const controls = new Map(); // key -> {control, input, error}
  let queue = Promise.resolve();
  let world = null;

  // -- the text view ------------------------------------------------------------------------
  function gutter(badLine) {
    const count = textarea.value.split("\n").length;
    const spans = [];
    for (let line = 1; line <= count; line += 1) {
      spans.push(el("span", { class: line === badLine ? "bad" : null, text: String(line) }));
    }
    $("gutter").replaceChildren(...spans);
    $("gutter").scrollTop = textarea.scrollTop;
  }
  textarea.addEventListener("scroll", () => { $("gutter").scrollTop = textarea.scrollTop; });

  function showLine(line) {
    const lines = textarea.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, text) => n + text.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
    const height = textarea.scrollHeight / Math.max(lines.length, 1);
    textarea.scrollTop = Math.max(0, (line - 5) * height);
  }

  function setText(text) {
    state.text = text;
    if (textarea.value !== text) {
      const top = textarea.scrollTop;
      textarea.value = text;
      textarea.scrollTop = top;
    }
  }

  // -- controls --------------------------------------------------------------------------
  /** A set of names (a TOML array such as a rule's sensors) as a group of checkboxes. */
  function choicesInput(control, attributes) {
    const values = control.value || [];
    const names = [...control.choices, ...values.filter((v) => !control.choices.includes(v))];
    return el("span", { id: attributes.id, "data-key": control.key, class: "choices",
                        role: "group" }, names.map((name) => el("label", {},
      el("input", { type: "checkbox", value: name, checked: values.includes(name),
                    disabled: attributes.disabled, id: `${attributes.id}.${name}` }),
      ` ${name}`)));
  }

  function input(control) {
    const attributes = { id: `control-${control.key}`, "data-key": control.key,
                         disabled: !control.editable };
    if (control.kind === "choices") return choicesInput(control, attributes);
    if (control.kind === "boolean") {
      return el("input", { ...attributes, type: "checkbox", checked: Boolean(control.value) });
    }
    if (control.kind === "choice") {
      const options = control.optional ? [""] : [];
      options.push(...control.choices);
      if (control.value !== null && !options.includes(control.value)) {
        options.push(control.value);
      }
      const select = el("select", attributes, options.map((option) =>
        el("option", { value: option, text: option === "" ? "(none)" : option })));
      select.value = control.value === null ? "" : control.value;
      return select;
    }
    const numeric = control.kind === "integer" || control.kind === "number";
    return el("input", { ...attributes, type: numeric ? "number" : "text",
                         step: control.kind === "integer" ? "1" : numeric ? "any" : null,
                         value: control.value === null ? "" : String(control.value),
                         placeholder: control.optional ? "not set" : null });
  }

  function controlRow(control) {
    const field = input(control);
    const error = el("span", { class: "error", id: `error-${control.key}`,
                               role: "alert" });
    controls.set(control.key, { control, input: field, error });
    const changed = () => edit(control, field, error);
    if (field.tagName === "SELECT" || field.type === "checkbox" ||
        control.kind === "choices") {
      field.addEventListener("change", changed);
    } else {
      field.addEventListener("input", scorelab.debounce(changed, 350));
    }
    return el("div", { class: ["text", "choices"].includes(control.kind) ? "control wide"
                                                                           : "control" },
      el("label", { for: field.id, title: `${control.path} (line ${control.line ?? "–"})`,
                    text: control.name }), field,
      el("span", { class: "hint", text: control.hint }), error);
  }

  function renderControls(sections) {
    controls.clear();
    const blocks = sections.map((section) => el("fieldset", {},
      el("legend", { text: section.title }),
      section.items.length ? section.items.map((item) => el("div", { class: "item",
        "data-key": item.key },
        el("h3", {}, item.title, el("span", { class: "about", text: item.about })),
        item.controls.map(controlRow))) :
        el("p", { class: "note", text: `This policy has no ${section.title.toLowerCase()}.` })));
    $("controls").replaceChildren(...blocks);
  }

  function updateControls(sections) {
    const all = sections.flatMap((s) => s.items.flatMap((i) => i.controls));
    const keys = all.map((c) => `${c.key}:${c.editable}`).join(",");
    if (keys !== state.keys) {
      state.keys = keys;
      renderControls(sections);
      return;
    }
    for (const control of all) {
      const known = controls.get(control.key);
      known.control = control;
      if (document.activeElement === known.input) continue;
      if (control.kind === "choices") {
        for (const box of known.input.querySelectorAll("input")) {
          box.checked = (control.value || []).includes(box.value);
        }
      } else if (known.input.type === "checkbox") known.input.checked = Boolean(control.value);
      else known.input.value = control.value === null ? "" : String(control.value);
    }
  }

  /** The value a control holds, or undefined while it holds none a key can take. */
  function valueOf(control, field, error) {
    if (control.kind === "boolean") return field.checked;
    if (control.kind === "choices") {
      return [...field.querySelectorAll("input:checked")].map((box) => box.value);
    }
    if (field.value === "" && field.validity && field.validity.badInput) {
      error.textContent = "not a number";
      return undefined;
    }
    if (field.value === "") {
      if (control.optional) return null;
      error.textContent = "a value is needed";
      return undefined;
    }
    if (control.kind === "integer" || control.kind === "number") return Number(field.value);
    return field.value;
  }

  function edit(control, field, error) {
    error.textContent = "";
    const value = valueOf(control, field, error);
    if (value === undefined) return;
    queue = queue.then(async () => {
      try {
        const edited = await api("/api/edit", { method: "POST",
          body: { text: state.text, set: { [control.key]: value } } });
        setText(edited.text);
        await refresh(true);
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
  }

  // -- validation, the diff, the controls read back -----------------------------------------
  function showErrors(errors) {
    for (const { input: field, error } of controls.values()) {
      field.classList.remove("invalid");
      error.textContent = "";
    }
    const first = errors[0];
    let line = null;
    for (const problem of errors) {
      line = line ?? problem.line;
      const key = problem.key || "";
      const known = [...controls.values()];
      const target = controls.get(key) ||  // an array's element, then a table's first control
        known.find(({ control }) => key && key.startsWith(`${control.key}[`)) ||
        known.find(({ control }) => key && (control.key.startsWith(`${key}.`) ||
                                            control.key.startsWith(`${key}[`)));
      if (target) {
        target.error.textContent = problem.message;
        target.input.classList.add("invalid");
      }
    }
    $("text-error").replaceChildren(...(first ? [first.message, " ",
      first.line ? el("a", { href: "#", id: "goto-line", text: `(show line ${first.line})`,
                             onclick: (event) => { event.preventDefault();
                                                   showLine(first.line); } }) : ""] : []));
    textarea.classList.toggle("invalid", Boolean(first));
    gutter(line);
  }

  async function refresh(readControls) {
    const generation = ++state.generation;
    const text = state.text;
    const [validation, diff, sections] = await Promise.allSettled([
      api("/api/policy/check", { method: "POST", body: { policy_text: text } }),
      api("/api/policy/diff", { method: "POST", body: { policy: name, policy_text: text } }),
      readControls ? api("/api/policy/controls", { method: "POST", body: {
        policy_text: text } }) : Promise.resolve(null)]);
    if (generation !== state.generation) return; // a later text is being checked
    const checked = validation.status === "fulfilled" ? validation.value : { ok: false,
      errors: validation.reason.errors || [{ message: String(validation.reason), line: null,
                                             key: null }] };
    state.valid = checked.ok;
    $("validity").textContent = state.valid ? checked.line : "";
    $("validity").className = state.valid ? "good" : "note";
    showErrors(checked.errors);
    if (diff.status === "fulfilled") {
      scorelab.showDiff($("diff"), diff.value.diff);
      $("diff").dataset.changed = diff.value.changed_lines;
    }
    if (sections.status === "fulfilled" && sections.value) {
      updateControls(sections.value.sections);
      $("controls").classList.remove("stale");
    } else if (sections.status === "rejected") {
      $("controls").classList.add("stale"); // the text is not TOML: its error shows below it
    }
    $("run-button").disabled = !state.valid;
    $("pair-button").disabled = !state.valid;
  }

  textarea.addEventListener("input", () => {
    gutter(null);
    typed();
  });
  const typed = scorelab.debounce(() => {
    setText(textarea.value);
    queue = queue.then(() => refresh(true));
  }, 400);

  // -- running -----------------------------------------------------------------------------
  async function submit(policyPart) {
    const { body, seed } = await world.request();
    return api("/api/runs", { method: "POST",
      body: scorelab.requestJson({ ...policyPart, ...body }, seed) });
  }

  $("run-button").addEventListener("click", async () => {
    $("run-error").textContent = "";
    try {
      await queue;
      location.href = `/runs/${(await submit({ policy_text: state.text })).id}`;
    } catch (error) {
      $("run-error").textContent = error.message;
    }
  });

  $("pair-button").addEventListener("click", async () => {
    $("run-error").textContent = "";
    try {
      await queue;
      const shipped = await submit({ policy: name });
      const mine = await submit({ policy_text: state.text });
      location.href = `/compare?a=${shipped.id}&b=${mine.id}`;
    } catch (error) {
      $("run-error").textContent = error.message;
    }
  });

  // -- start -----------------------------------------------------------------------------
  try {
    const [policy, policies] = await Promise.all([
      api(`/api/policies/${encodeURIComponent(name)}`), api("/api/policies")]);
    const info = policies.find((p) => p.name === policy.name) || { title: policy.name };
    $("title").textContent = `Policy editor: ${info.title}`;
    document.title = `${info.title} · policy editor · scorelab`;
    $("editor-about").textContent = `Editing a copy of ${policy.name}.toml ` +
      `(${info.description || info.title}). Nothing is kept on the server until you run it.`;
    setText(policy.text);
    textarea.value = policy.text;
    world = await scorelab.worldForm($("world"), Object.fromEntries(query));
    await refresh(true);
    document.body.dataset.ready = "true";
  } catch (error) {
    $("run-error").textContent = error.message;
  }
})();
