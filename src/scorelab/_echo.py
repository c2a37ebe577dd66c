r"""How text from an input file may appear in a message: short, and never a control character.

An error message quotes what it refuses (a key, a value, a name), and that text
comes from a file anybody may have written. Two things must not reach the
terminal through it: a value of 10,000 characters (the message is for reading),
and control characters (an ANSI escape such as ``\x1b[2J`` clears the screen;
a carriage return rewrites the line; a bidi override reorders it). So:

* :func:`printable` escapes every control character as Python writes it in a
  string (``\x1b``, ``\n``, ``\u202e``); every scorelab error's text goes through
  it (``ScorelabError.__str__``), and so does the command line's error line;
* :func:`shorten` cuts a quoted value to :data:`ECHO_LIMIT` characters and says how
  long it was; :func:`shorten_values` does it to every long double-quoted value
  and every long run of non-blank characters of a message, so that an input
  file error (``InputFileError``) quoting a value anywhere shows it short.
"""

from __future__ import annotations

import re

#: the most characters of one value that a message quotes
ECHO_LIMIT = 80
#: the most characters of an input file error's reason (the longest scorelab writes is
#: about 450: a list of every metric a targets file may name)
REASON_LIMIT = 1_000

# C0 controls, DEL and C1 controls, the Unicode line and paragraph separators, and the
# bidi embeddings, overrides and isolates (which reorder the text a terminal shows).
_CONTROL = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
            *range(0x2066, 0x206A)]
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_ESCAPES = {code: _NAMED.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            for code in _CONTROL}
_LONG_RUN = re.compile(rf"\S{{{ECHO_LIMIT + 21},}}")
# (not one already shortened: its ellipsis)
_LONG_QUOTED = re.compile(rf'"([^"\n…]{{{ECHO_LIMIT + 1},}})"')


def printable(text: str) -> str:
    r"""``text`` with every control character escaped as a Python string literal writes it.

    >>> printable("red \x1b[31mtext\x1b[0m\n")
    'red \\x1b[31mtext\\x1b[0m\\n'
    >>> printable("é and 中文 stay")
    'é and 中文 stay'
    """
    return text.translate(_ESCAPES)


def expected(names: tuple[str, ...]) -> str:
    """The names a message says were expected (a vocabulary, the grades of a policy).

    >>> expected(("a", "b"))
    'one of "a", "b"'
    """
    return "one of " + ", ".join(f'"{n}"' for n in names)


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis and its full length when cut.

    >>> shorten("x" * 100, 10)
    'xxxxxxxxxx… (100 characters)'
    >>> shorten("short")
    'short'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def shorten_values(text: str) -> str:
    """``text`` with every value it quotes cut to :data:`ECHO_LIMIT` characters.

    A value is a double-quoted part longer than the limit (``unknown source "..."``),
    or a run of non-blank characters more than 20 characters longer (a run up to
    that is kept whole: a long file name, a key path).

    >>> quoted = shorten_values('unknown source "' + "court " * 30 + '": none')
    >>> len(quoted), quoted[-30:]
    (121, 'rt co… (180 characters)": none')
    >>> shorten_values("grade " + "Z" * 500 + " is unknown")[-40:]
    'ZZZZZZZZZZZ… (500 characters) is unknown'
    """
    text = _LONG_QUOTED.sub(lambda match: f'"{shorten(match.group(1))}"', text)
    return _LONG_RUN.sub(lambda match: shorten(match.group()), text)
