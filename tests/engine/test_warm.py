"""Whether the engine is compiled for this machine, and warming it up on purpose."""

from __future__ import annotations

import os
import subprocess
import sys

import scorelab.engine


def _is_compiled_with_cache(folder) -> str:
    """``is_compiled()`` in a fresh process whose numba cache is ``folder``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c",
                           "import scorelab.engine as e; print(e.is_compiled())"],
                          env=env, capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


def test_an_empty_cache_folder_is_not_compiled(tmp_path):
    assert _is_compiled_with_cache(tmp_path) == "False"


#: Writes run_chunk's cache index as numba does, for another machine, then for this one.
INDEX_FOR = """
from scorelab.engine._kernel import run_chunk
from scorelab.engine._warm import _cached_here
cache = run_chunk._cache
_, machine, code = cache._index_key(None, run_chunk.targetctx.codegen())
cache._impl.locator.ensure_cache_path()
cache._cache_file._save_index({(None, ("another machine",), code): "x.nbc"})
print(_cached_here(run_chunk))
cache._cache_file._save_index({(None, machine, code): "x.nbc"})
print(_cached_here(run_chunk))
"""


def test_only_an_index_for_this_machine_counts(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", INDEX_FOR], env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    assert done.stdout.split() == ["False", "True"]


def test_after_warming_up_the_engine_is_compiled():
    seconds = scorelab.engine.warm_up()  # loads the session's cache, or compiles it
    assert seconds > 0
    assert scorelab.engine.is_compiled()
