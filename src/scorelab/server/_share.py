"""Share codes: a run's whole request in a URL, so another server runs the identical simulation.

Data flow::

    canonical request JSON --zlib (level 9)--> bytes --base64url, no padding--> code
    code --base64url--> bytes --zlib, at most max_body_bytes out--> JSON --RunBody--> resolve

A code carries the request, never a result or a path: opened on another
``scorelab serve`` it is checked like any request (the same limits, loaders
and condition grammar), gets the same id when that server has the same
scorelab, and so the same bytes, or the cached result when it ran before.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from pydantic import ValidationError

from scorelab.server._requests import RefusedError, RunBody, canonical_json
from scorelab.server._settings import Settings


def share_code(request: dict[str, Any]) -> str:
    """The share code of a canonical request (URL-safe text).

    >>> share_code({"seed": 7})
    'eNqrVipOTU1RsjKvBQAS2ANP'
    """
    packed = zlib.compress(canonical_json(request).encode("utf-8"), 9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def read_share_code(code: str, settings: Settings) -> RunBody:
    """The request a share code carries, as a run body (resolve it to check it fully).

    Raises:
        RefusedError: 413 when the code or its text is over the server's body limit; 422 when
            it is not a share code or its request has keys a run body does not take.
    """
    limit = settings.max_body_bytes
    if len(code) > limit:
        raise RefusedError.one(413, f"the share code is {len(code):,} characters: over this "
                                    f"server's limit ({limit:,})", key="code",
                               limit="max_policy_bytes")
    try:
        packed = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        inflate = zlib.decompressobj()
        text = inflate.decompress(packed, limit)
        if inflate.unconsumed_tail:
            raise RefusedError.one(413, f"the share code's request is over this server's limit "
                                        f"({limit:,} bytes)", key="code", limit="max_policy_bytes")
        data = json.loads(text.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise RefusedError.one(422, "not a share code (GET /api/runs/{id}/share gives one)",
                               key="code") from None
    if not isinstance(data, dict):
        raise RefusedError.one(422, "not a share code: it holds no request", key="code")
    try:
        return RunBody.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RefusedError.one(422, f"the share code's request: {where}: {first['msg']}",
                               key=where) from None
