"""Rows of ``citizens.parquet`` for the API: filtered by query parameters, sorted, paged.

Data flow::

    query ?grade=C&wrongful_denials_min=1&sort=-score&limit=50&offset=100
        --filters--> a pyarrow expression over the file's own columns (unknown ones: 422)
        --read, sort, slice--> Table, and the number of rows that matched

``COLUMN=value`` matches a value (text, a number, ``true``/``false``), or, for a
list column, a list that holds it (``denied_services=train``: denied a train at
least once); ``COLUMN_min``/``COLUMN_max`` bound a number. Parameters of the route itself
(``limit``, ``offset``, ``columns``, ``sort``, ``format``) and the token are
not filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scorelab.server._requests import RefusedError

#: query parameters that are not filters
NOT_FILTERS = frozenset({"limit", "offset", "columns", "sort", "format", "token"})


def citizens_table(path: Path, query: dict[str, str], *, limit: int, offset: int,
                   columns: str | None, sort: str | None) -> tuple[pa.Table, int]:
    """The rows of ``path`` that ``query``'s filters match, sorted and paged; and their count.

    Raises:
        RefusedError: 422 for a filter, column or sort key the table does not have, or a value
            that is not of the column's kind.
    """
    schema = pq.read_schema(path)
    expression, holding = None, []
    for key, text in query.items():
        if key in NOT_FILTERS:
            continue
        if key in schema.names and _is_list(schema.field(key).type):
            holding.append((key, text))
            continue
        condition = _condition(schema, key, text)
        expression = condition if expression is None else expression & condition
    wanted = None
    if columns is not None:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        _check_names(schema, wanted, "columns")
    table = pq.read_table(path, filters=expression)
    for key, text in holding:
        table = table.filter(_holds(table[key], text))
    if sort:
        name = sort.removeprefix("-")
        _check_names(schema, [name], "sort")
        keys = table[name]
        if pa.types.is_dictionary(keys.type):  # sorted by value, not by dictionary index
            keys = keys.cast(keys.type.value_type)
        order = pc.sort_indices(pa.table({"key": keys}), sort_keys=[
            ("key", "descending" if sort.startswith("-") else "ascending")])
        table = table.take(order)
    total = table.num_rows
    table = table.slice(offset, limit)
    return (table.select(wanted) if wanted is not None else table), total


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind)


def _holds(column: pa.ChunkedArray, text: str) -> pa.Array:
    """Which rows' lists hold ``text``.

    >>> _holds(pa.chunked_array([[["a", "b"], [], ["b"]]]), "b").to_pylist()
    [True, False, True]
    """
    lists = column.combine_chunks()
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    found = pc.fill_null(pc.equal(pc.list_flatten(lists), text), False).to_numpy(
        zero_copy_only=False)
    mask = np.zeros(len(lists), dtype=bool)
    mask[rows[found]] = True
    return pa.array(mask)


def _check_names(schema: pa.Schema, names: list[str], key: str) -> None:
    for name in names:
        if name not in schema.names:
            raise RefusedError.one(422, f"{key}: no column {name[:80]!r} in citizens.parquet",
                                   key=key)


def _condition(schema: pa.Schema, key: str, text: str) -> Any:
    """The expression of one filter parameter."""
    for suffix, compare in (("_min", "ge"), ("_max", "le")):
        name = key.removesuffix(suffix)
        if key.endswith(suffix) and name in schema.names:
            kind = schema.field(name).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
                raise RefusedError.one(422, f"{key}: {name} is not a number column", key=key)
            value = _value(kind, text, key)
            field = pc.field(name)
            return field >= value if compare == "ge" else field <= value
    if key not in schema.names:
        raise RefusedError.one(
            422, f"{key}: not a filter: citizens.parquet has no column {key[:80]!r} (filters "
                 "are COLUMN=value, COLUMN_min=, COLUMN_max=)", key=key)
    kind = schema.field(key).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pc.field(key) == _value(kind, text, key)


def _value(kind: pa.DataType, text: str, key: str) -> Any:
    """``text`` as a value of the column's type, or a 422 naming the filter."""
    try:
        if pa.types.is_boolean(kind):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        if pa.types.is_integer(kind):
            number = int(text)
            if not -(2**63) <= number < 2**63:
                raise ValueError
            return number
        if pa.types.is_floating(kind):
            return float(text)
    except ValueError:
        raise RefusedError.one(422, f"{key}: {text[:80]!r} is not a {kind}", key=key) from None
    return text
