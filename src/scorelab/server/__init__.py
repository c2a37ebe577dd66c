"""``scorelab serve``: a local web server whose pages and JSON API run policies as jobs.

The package is ``scorelab.server`` rather than ``scorelab.serve`` so that
``scorelab.serve`` can be the public function mirroring the command
(docs/architecture.md). Runs execute in job worker processes, each its own
process group (``_worker``), from a bounded queue (``_jobs``); a catalogue in
SQLite (``_catalogue``) lists them across restarts; requests are checked and
hashed (``_requests``, ``_share``); the routes (``_api`` for runs and
sharing, ``_results`` for what finished runs hold, with ``_lookup``,
``_citizens`` and ``_formats``) sit behind the guards (``_guard``) in the app
(``_app``), which ``serve`` (``_serve``) starts. docs/serve.md says how to use it.
"""

from __future__ import annotations

from scorelab.server._serve import serve
from scorelab.server._settings import Settings, make_settings

__all__ = ["Settings", "make_settings", "serve"]
