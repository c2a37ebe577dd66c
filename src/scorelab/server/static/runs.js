/* Every run of this server's catalogue (GET /api/runs), the most recent first. */
"use strict";

(async () => {
  try {
    scorelab.$("runs").replaceChildren(scorelab.runsTable(await scorelab.api("/api/runs")));
  } catch (error) {
    scorelab.$("runs").textContent = error.message;
  }
})();
