"""Day matrices by their used columns: what travels from workers and what checkpoints keep.

A chunk's day matrix is (days + 1, columns, groups) int64: 75 MB for a year
and 0.5 GB for the eight years of the court-list scenario, most of it zero
(behaviours and services a policy or world leaves out, score bins nobody
reaches). A worker adds each chunk into one matrix it keeps, sends back only
the columns the chunk wrote, and zeroes those for the next chunk; the parent
adds them into its total. Integer sums do not depend on order, so the total is
the same bytes however the work was split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UsedColumns:
    """The used columns of a day matrix: their indices and their values."""

    columns: np.ndarray  # (k,) int64, ascending
    values: np.ndarray  # (days + 1, k, groups) int64

    def add_to(self, total: np.ndarray) -> None:
        """Add these columns into the dense ``total``.

        Column by column: ``total[:, columns, :] += values`` gathers a copy and
        scatters it back, twice the time.
        """
        for j, column in enumerate(self.columns):
            total[:, column, :] += self.values[:, j, :]


def take_columns(matrix: np.ndarray, touched: np.ndarray) -> UsedColumns:
    """Copy the ``touched`` columns out of ``matrix`` and zero them there, for reuse."""
    columns = np.flatnonzero(touched).astype(np.int64)
    values = matrix[:, columns, :]  # fancy indexing: a copy
    matrix[:, columns, :] = 0
    return UsedColumns(columns, values)


def used_columns(total: np.ndarray, used: np.ndarray | None = None) -> UsedColumns:
    """The ``used`` columns of ``total``, for a compact checkpoint or the daily table.

    ``used`` is a boolean per column; by default, the columns with any nonzero value.
    """
    if used is None:
        used = total.any(axis=(0, 2))
    columns = np.flatnonzero(used).astype(np.int64)
    return UsedColumns(columns, total[:, columns, :])


def dense(part: UsedColumns, width: int) -> np.ndarray:
    """The full matrix of ``width`` columns that ``part`` describes."""
    days, _, groups = part.values.shape
    total = np.zeros((days, width, groups), np.int64)
    part.add_to(total)
    return total
