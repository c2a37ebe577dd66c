"""Limits every input file is held to before it is parsed, so that no file costs much.

A parser's cost is not always linear in its input: ``tomllib`` keeps, for a
dotted key, a tuple of every prefix of the key, so a 200 KB policy holding one
key of 100,000 parts took 24 GB. Each input file therefore goes through these
checks first, each linear in the file and stopping at the first excess::

    path --read_input_text--> text (at most MAX_FILE_BYTES, UTF-8)
         --check_lines-------> no line longer than MAX_LINE_CHARS     (every input)
         --check_toml_text---> keys and brackets within their limits   (TOML inputs)
         --> the parser (tomllib, csv)

Every excess is the file's own error (PolicyError, ScenarioError, TargetsError,
or any :class:`~scorelab._errors.InputFileError` a new kind of file brings) with
the path and the line. The limits are far above what a real file needs: the
largest shipped input is 7 KB, its longest line 258 characters, its longest key
4 parts (``behaviours.fraud.rate_per_year."2016-01-01"``) and its deepest
brackets 2 levels.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scorelab._errors import InputFileError

#: bytes of one input file (policy, scenario, targets, experiment): 150 times the largest
#: shipped one; scorelab reads no more than this and one byte from a file
MAX_FILE_BYTES = 1 << 20
#: characters of one line, a long citation or condition with room to spare
MAX_LINE_CHARS = 4_096
#: parts of one dotted key or table header (``a.b.c`` has 3)
MAX_KEY_PARTS = 16
#: characters of one dotted key or table header, quotes included
MAX_KEY_CHARS = 256
#: arrays and inline tables open inside one another
MAX_NESTING = 16


def read_input_text(path: Path, error: type[InputFileError], *,
                    max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read an input file as UTF-8 text, refusing one larger than ``max_bytes``.

    At most ``max_bytes + 1`` bytes are read, whatever the file is (a device or a
    pipe that never ends included).

    Raises:
        InputFileError: as ``error``: the file is missing, unreadable, too large, or
            not UTF-8 (with the line of the first bad byte).
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except OSError as exc:
        raise error(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    if len(raw) > max_bytes:
        held = f"{size:,}" if size > max_bytes else f"more than {max_bytes:,}"  # a device: 0
        raise error(f"file too large: it holds {held} bytes, and an input file may hold at "
                    f"most {_mib(max_bytes)} ({max_bytes:,} bytes)", path=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"cannot read the file: not UTF-8 text (byte {exc.start + 1}: {exc.reason})",
                    path=path, line=line) from None


def _mib(size: int) -> str:
    """A limit in MiB for messages.

    >>> _mib(1 << 20), _mib(3_500_000)
    ('1 MiB', '3.3 MiB')
    """
    return f"{size / (1 << 20):.2g} MiB"


def check_lines(text: str, *, path: Path, error: type[InputFileError],
                max_chars: int = MAX_LINE_CHARS) -> None:
    r"""Refuse a line (ended by ``\n``) longer than ``max_chars`` characters.

    >>> check_lines("a\nbbbb\n", path=Path("f"), error=InputFileError, max_chars=3)
    Traceback (most recent call last):
    scorelab._errors.InputFileError: f:2: line too long: it has 4 characters, and a line may ...
    """
    # (a regular expression such as [^\n]{4097} would rescan each line from every start)
    lengths = list(map(len, text.split("\n")))
    if max(lengths) > max_chars:
        number = next(i for i, length in enumerate(lengths) if length > max_chars)
        raise error(f"line too long: it has {lengths[number]:,} characters, and a line may "
                    f"have at most {max_chars:,}", path=path, line=number + 1)


# One token of TOML, after blanks: a newline, a comment, a string (multi-line or not,
# closed or not: an unclosed one runs to the end of its line or of the file), punctuation,
# or a run of anything else. Some alternative matches at every position, and each match
# is found without backtracking past it, so no text is scanned twice.
_TOKEN = re.compile(r'''[ \t\r]*(?:
    (?P<newline>\n)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""\"{0,2}|\\?\Z)
             | \'\'\'(?:[^']|'(?!''))*(?:\'\'\'\'{0,2}|\Z)
             | "(?:[^"\\\n]|\\[^\n])*"?
             | '[^'\n]*'?)
  | (?P<punct>\[\[|\]\]|[\[\]{}=,.])
  | (?P<other>[^\n\#"'\[\]{}=,.\ \t\r]+)
  | (?P<blank>\Z)
)''', re.VERBOSE)


class _Key:
    """The dotted key being read: its parts and characters so far."""

    def __init__(self, line: int) -> None:
        self.line, self.parts, self.chars = line, 1, 0


def check_toml_text(text: str, *, path: Path, error: type[InputFileError]) -> None:
    """Refuse TOML whose keys or brackets pass their limits, before a parser reads it.

    Every line is first held to :data:`MAX_LINE_CHARS`; then a dotted key or table
    header to :data:`MAX_KEY_PARTS` parts and :data:`MAX_KEY_CHARS` characters, and
    arrays and inline tables to :data:`MAX_NESTING` levels. The scan is linear in
    the text and reads it as TOML's grammar would only where that matters (keys,
    strings, brackets); a document it misreads is one ``tomllib`` refuses anyway.

    Raises:
        InputFileError: as ``error``, with the path and the line of the first excess.
    """
    check_lines(text, path=path, error=error)
    line, stack = 1, []  # "[" for an array, "{" for an inline table
    key: _Key | None = _Key(line)  # reading a key (statement start, or in an inline table)
    header = False  # reading a table header's key
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "blank":
            break
        if kind == "newline":
            line += 1
            if not stack:
                key, header = _Key(line), False
            continue
        if kind == "comment":
            continue
        if kind == "string":
            line += token.count("\n")
        if key is not None:
            if kind in ("string", "other"):
                key.chars += len(token)
                _check_key(key, path, error)
                continue
            if token == ".":
                key.parts += 1
                key.chars += 1
                _check_key(key, path, error)
                continue
            if token in ("[", "[[") and not stack and key.chars == 0 and not header:
                header = True  # a table header: its key follows
                continue
            if header and token in ("]", "]]"):
                key = None
                continue
            key = None  # "=", or something tomllib will refuse
            if token == "=":
                continue
        if token in ("[", "{", "[["):
            stack.extend(token)
            if len(stack) > MAX_NESTING:
                raise error(f"arrays or inline tables nested too deeply (more than "
                            f"{MAX_NESTING} levels)", path=path, line=line)
            key = _Key(line) if token == "{" else None
        elif token in ("]", "}", "]]"):
            for _ in token:
                if stack:
                    stack.pop()
            key = None
        elif token == "," and stack and stack[-1] == "{":
            key = _Key(line)


def _check_key(key: _Key, path: Path, error: type[InputFileError]) -> None:
    if key.parts > MAX_KEY_PARTS:
        raise error(f"key has more than {MAX_KEY_PARTS} dotted parts, the most a key may have",
                    path=path, line=key.line)
    if key.chars > MAX_KEY_CHARS:
        raise error(f"key longer than {MAX_KEY_CHARS} characters, the most a key may have",
                    path=path, line=key.line)
