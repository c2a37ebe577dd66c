"""The ``scorelab`` command: parse, call the public API, print, set the exit code.

No logic lives here (as HTTPX's ``_main.py``): every command is a public function
of the same name with the same keywords. Errors scorelab raises on purpose are
printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import scorelab.cli._audit  # noqa: F401 (registers `scorelab report`, `compare`)
from scorelab.cli import (
    _calibrate,  # noqa: F401 (registers `scorelab calibrate`)
    _experiment,  # noqa: F401 (registers `scorelab experiment`)
    _serve,  # noqa: F401 (registers `scorelab serve`)
)
from scorelab.cli._app import app, main

__all__ = ["app", "main"]
