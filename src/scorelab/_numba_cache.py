"""Where numba caches the compiled engine: a folder keyed by a hash of scorelab's sources.

numba checks a cached function against its own source file only. The engine's
functions call functions from other modules, so after a change to, say,
``engine/_state.py`` a cached ``run_chunk`` would still run the old code.
Keying the cache folder by a hash of every scorelab source file that uses numba
makes any change to compiled code start from a fresh cache. A ``NUMBA_CACHE_DIR``
set by the user wins.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def configure() -> Path | None:
    """Point numba's cache at ``~/.cache/scorelab/numba/<source hash>`` unless the user chose."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        source = path.read_bytes()
        if b"numba" in source:  # only compiled code and what it imports can go stale
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(source)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "scorelab" / "numba" / digest.hexdigest()[:16]
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # numba read its configuration already
        from numba.core import config  # noqa: PLC0415

        config.CACHE_DIR = str(folder)
    return folder
