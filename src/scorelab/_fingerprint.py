"""Fingerprints of what determines a run's bytes: its input files and scorelab's code.

A checkpoint records them when a run starts; ``--resume`` recomputes them and
refuses to continue when any differs, since chunks done before and after the
change would be mixed in one folder. The code fingerprint hashes every Python
source of the package (a superset of the sources that key the compiled kernel's cache, since
the output writers decide bytes too), so an edited engine with the same version
string is caught.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.cache
def code_sha256() -> str:
    """The sha256 of every ``.py`` file of the installed package, by relative path."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
