/* Following a run: its view (GET /api/runs/{id}) at each change, from the server-sent events
 * of GET /api/runs/{id}/events, and a <progress> bar that shows it. */
"use strict";

scorelab.ENDED = ["done", "failed", "cancelled", "interrupted"];

/** Call `onView(view)` at each change of the run until it ends; returns a stop function.
 *
 * The stream closes after the last view; an EventSource would reconnect then, so it is
 * closed here as soon as a view says the run has ended. Should the stream fail, the run
 * is read again every second instead. */
scorelab.follow = (id, onView) => {
  let stopped = false;
  let source = null;
  const poll = async () => {
    while (!stopped) {
      try {
        const view = await scorelab.api(`/api/runs/${id}`);
        onView(view);
        if (scorelab.ENDED.includes(view.status)) return;
      } catch (error) {
        onView(null, error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  source = new EventSource(`/api/runs/${id}/events`);
  source.onmessage = (message) => {
    const view = JSON.parse(message.data);
    if (scorelab.ENDED.includes(view.status)) {
      source.close();
      stopped = true;
      scorelab.engine(); // the header's count of running jobs
    }
    onView(view);
  };
  source.onerror = () => {
    if (stopped) return;
    source.close();
    poll();
  };
  return () => {
    stopped = true;
    source.close();
  };
};

/** What a run's view says of its progress, in words. */
scorelab.progressText = (view) => {
  const p = view.progress || {};
  const number = scorelab.number;
  if (view.status === "queued") {
    return `queued${view.position ? `: ${view.position} in line` : ""}`;
  }
  if (view.status === "running") {
    if (p.phase === "simulate") {
      return `simulating: ${number(p.done)} of ${number(p.total)} citizens`;
    }
    return p.phase ? `writing ${p.phase}` : "starting";
  }
  if (view.status === "done") {
    const seconds = view.timings && view.timings.seconds;
    return `done${seconds ? ` in ${seconds.toFixed(1)} s` : ""}`;
  }
  return view.error ? `${view.status}: ${view.error}` : view.status;
};

/** A run's progress as a labelled bar in `container`; returns {update(view)}. */
scorelab.progressBar = (container, label) => {
  const { el } = scorelab;
  const bar = el("progress", { max: "1", value: "0" });
  const words = el("span", { class: "note", text: "waiting…" });
  container.replaceChildren(el("label", {}, `${label} `, bar), " ", words);
  return {
    update(view) {
      bar.value = view.status === "done" ? 1 : (view.progress || {}).fraction || 0;
      words.textContent = scorelab.progressText(view);
      container.dataset.status = view.status;
    },
  };
};

/** A run's view and its request's seed as exact digits (a JSON number would round them). */
scorelab.exactRequest = async (id) => {
  const response = await fetch(`/api/runs/${id}`);
  const text = await response.text();
  if (!response.ok) {
    throw new scorelab.ApiError(response.status, JSON.parse(text).errors || []);
  }
  const match = text.match(/"request":\{.*(?<!\\)"seed":(\d+)/s);
  const view = JSON.parse(text);
  return { view, request: view.request, seed: match ? match[1] : String(view.request.seed) };
};
