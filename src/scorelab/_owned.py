"""Folders scorelab writes: its marker, what ``--force`` may replace, one writer at a time.

Every folder scorelab creates (a run, its hidden staging folder, a calibration)
holds a marker file, ``.scorelab-folder``, naming its kind. ``--force`` replaces
only a folder with the marker of the same kind and no file scorelab would not
have written there; it never touches the current folder, one of its parents,
or the home folder. A file (a comparison page) is replaced only when scorelab
wrote it. A writer holds an OS lock on ``.NAME.lock`` beside its folder for
as long as it writes, so a second writer is refused with the first one's PID;
the OS releases the lock when the process dies, so a crash leaves no stale lock.

The rules are written down for users in docs/run-folders.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from scorelab._errors import RunRefusedError

MARKER = ".scorelab-folder"
LOCK_SUFFIX = ".lock"
#: A comparison page carries this tag, so that scorelab replaces only its own pages.
PAGE_TAG = '<meta name="generator" content="scorelab">'


def write_marker(folder: Path, kind: str) -> None:
    """Mark ``folder`` as written by scorelab, as a folder of ``kind`` (run, calibration)."""
    (folder / MARKER).write_text(json.dumps({"kind": kind}) + "\n")


def marker_kind(folder: Path) -> str | None:
    """The kind in ``folder``'s marker, or None when it has no readable marker."""
    try:
        return str(json.loads((folder / MARKER).read_text())["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def protected_reason(path: Path) -> str | None:
    """Why ``path`` may never be replaced (the current folder, a parent of it, home), or None."""
    path = path.resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if path == cwd:
        return "it is the current folder"
    if cwd.is_relative_to(path):
        return "it holds the current folder"
    if home.is_relative_to(path):
        return "it is or holds the home folder"
    return None


def check_replaceable(folder: Path, kind: str, allowed: Iterable[str], *,
                      option: str = "--out") -> None:
    """Refuse, with the reason, to replace ``folder`` unless scorelab wrote it as ``kind``.

    Args:
        folder: the folder ``--force`` would replace (it exists and is not empty).
        kind: the marker kind it must carry.
        allowed: names scorelab writes in such a folder; any other entry is the user's.
        option: the option that named the folder, for the message.
    """
    reason = protected_reason(folder)
    if reason is None and marker_kind(folder) != kind:
        reason = f"it is not a scorelab {kind} folder (no {MARKER} marker of kind {kind!r})"
    if reason is None:
        names = set(allowed) | {MARKER}
        foreign = sorted(entry.name for entry in folder.iterdir() if entry.name not in names)
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            reason = f"it holds files scorelab did not write ({shown})"
    if reason is not None:
        raise RunRefusedError(f"{option} {folder}: --force will not replace it: {reason}; "
                              f"choose another {option}, or move it away yourself")


def check_out(out: Path, kind: str, allowed: Iterable[str], *, force: bool) -> None:
    """Refuse an ``--out`` that cannot receive a new folder of ``kind`` (renamed into place).

    ``out`` (resolved) may be missing, empty, or, with ``force``, a folder scorelab
    wrote as ``kind`` (:func:`check_replaceable`); never the current folder, a parent
    of it, home, a file, or a mount point (a rename cannot replace one).
    """
    reason = protected_reason(out)
    if reason is not None:
        raise RunRefusedError(f"--out {out}: {reason}: choose a new folder")
    if os.path.ismount(out):
        raise RunRefusedError(f"--out {out} is a mount point: scorelab writes beside a folder "
                              "and renames it into place, which cannot replace a mount point; "
                              f"use --out {out / kind}")
    if out.exists() and not out.is_dir():
        raise RunRefusedError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise RunRefusedError(f"--out {out} already exists and is not empty: pass --force "
                                  "to replace it, or choose another --out")
        check_replaceable(out, kind, allowed)


def remove_owned(folder: Path, kind: str) -> None:
    """Delete ``folder`` if (and only if) it carries scorelab's marker of ``kind``."""
    if marker_kind(folder) != kind or protected_reason(folder) is not None:
        raise RunRefusedError(f"{folder}: not removed: it is not a scorelab {kind} folder")
    shutil.rmtree(folder)


def check_page_replaceable(path: Path, *, option: str = "--out") -> None:
    """Refuse to overwrite ``path`` unless it is a page scorelab wrote (or does not exist)."""
    if not path.exists():
        if not path.parent.is_dir():
            raise RunRefusedError(f"{option} {path}: the folder {path.parent} does not exist")
        return
    if path.is_dir():
        raise RunRefusedError(f"{option} {path} is a folder: give the HTML file to write")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise RunRefusedError(f"{option} {path}: cannot read it ({exc.strerror})") from None
    if PAGE_TAG.encode() not in head:
        raise RunRefusedError(f"{option} {path} exists and scorelab did not write it: "
                              "choose another file")


@contextlib.contextmanager
def writing(folder: Path) -> Iterator[None]:
    """Hold the lock that makes the writer of ``folder`` (and its staging) the only one.

    Raises:
        RunRefusedError: another live process holds it; the message names its PID.
    """
    folder = folder.resolve()
    lock_path = folder.parent / f".{folder.name}{LOCK_SUFFIX}"
    handle = _acquire(lock_path, folder)
    try:
        yield
    finally:
        # unlinked while still held, so that a writer who opened it meanwhile sees a
        # stale inode and tries again (see _acquire)
        with contextlib.suppress(OSError):
            lock_path.unlink()
        handle.close()


def lock_or_holder(handle: IO[str]) -> str | None:
    """Lock an open lock file for this process; None, or the PID written by its holder.

    When another process holds the lock, ``handle`` is closed and the PID that
    process wrote into the file is returned ("unknown" if none), for the refusal.
    """
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        return holder
    return None


def _acquire(lock_path: Path, folder: Path):  # noqa: ANN202 (an open file)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunRefusedError(f"cannot create {lock_path.parent}: {exc.strerror}") from None
    while True:
        try:
            handle = open(lock_path, "a+")  # noqa: SIM115 (held until the writer is done)
        except OSError as exc:
            raise RunRefusedError(f"cannot write beside {folder}: {exc.strerror}") from None
        holder = lock_or_holder(handle)
        if holder is not None:
            raise RunRefusedError(f"{folder} is being written by another scorelab process "
                                  f"(PID {holder}): wait for it to finish, or stop it first")
        try:  # the holder may have unlinked the file between our open and our lock
            same = os.fstat(handle.fileno()).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            return handle
        handle.close()
