"""A run's table as an HTTP response: JSON records, CSV, or Arrow IPC, as the client accepts.

Data flow::

    Parquet file --pyarrow (filters, columns)--> Table
        --Accept: application/vnd.apache.arrow.stream--> Arrow IPC stream (the file's schema)
        --Accept: text/csv--> CSV (a list column as its items joined by "|")
        --otherwise--> JSON: one object per row (dates as ISO text, NaN as null)

A ``format`` query parameter (``json``, ``csv``, ``arrow``) wins over the
header, for links a browser follows.
"""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from fastapi import Request, Response

ARROW_STREAM = "application/vnd.apache.arrow.stream"
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
               "arrow": ARROW_STREAM}
#: what a list column's items are joined with in CSV
LIST_SEPARATOR = "|"


def negotiate(request: Request, format: str | None) -> str:
    """``json``, ``csv`` or ``arrow``: the ``format`` parameter, else the Accept header.

    Raises:
        ValueError: an unknown ``format``.
    """
    if format is not None:
        if format not in MEDIA_TYPES:
            raise ValueError(f"format must be one of {', '.join(MEDIA_TYPES)}, got {format!r}")
        return format
    accept = request.headers.get("accept", "")
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for kind in types:
        if kind == ARROW_STREAM:
            return "arrow"
        if kind == "text/csv":
            return "csv"
        if kind in ("application/json", "*/*"):
            return "json"
    return "json"


def table_response(table: pa.Table, kind: str, *, name: str,
                   headers: dict[str, str] | None = None) -> Response:
    """``table`` in the format ``kind``; CSV and Arrow downloads are named ``name``."""
    headers = dict(headers or {})
    if kind == "arrow":
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        body = sink.getvalue().to_pybytes()
        headers["content-disposition"] = f'inline; filename="{name}.arrows"'
    elif kind == "csv":
        buffer = io.BytesIO()
        pa_csv.write_csv(_csv_ready(table), buffer)
        body = buffer.getvalue()
        headers["content-disposition"] = f'inline; filename="{name}.csv"'
    else:
        body = pl.from_arrow(table).write_json().encode("utf-8") if table.num_rows else b"[]"
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Columns CSV can hold: dictionaries as their values, lists as their items joined."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            column = pc.binary_join(column.cast(pa.list_(pa.string())), LIST_SEPARATOR)
        columns.append(column)
    return pa.table(columns, names=table.column_names)
