"""Calibration metrics: named series read from a run's daily aggregates, scaled up.

Data flow::

    run folder/daily.parquet --(dimension == "all", one row per day)--> DailySeries
    DailySeries.value(metric, date) * weight (represents / citizens) --> a real-population figure

A metric is a *stock* (``people_listed``: people on the list at the end of the
day), a *cumulative* count since the simulation started (``<flow>_cumulative``)
or a count over the twelve months up to and including the day (``<flow>_in_year``).
Flows are list entries (``people_listed``), list exits, blocked flight and
high-speed-rail purchases, payments under the list's pressure (``complied``) and
purchase attempts. List metrics read the policy's first list. Before the
simulation's first day every metric is 0: nothing had happened yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

# flow name -> daily.parquet column ({list}: the policy's first list)
FLOWS = {
    "people_listed": "list_entries_{list}",
    "list_exits": "list_exits_{list}",
    "flights_blocked": "denied_flight",
    "trains_blocked": "denied_train",
    "flight_attempts": "attempts_flight",
    "train_attempts": "attempts_train",
    "complied": "complied",
}
STOCKS = {"people_listed": "listed_{list}"}
METRICS = tuple(sorted([*STOCKS, *(f"{f}_cumulative" for f in FLOWS),
                        *(f"{f}_in_year" for f in FLOWS)]))
# what forecast.csv holds for every month-end
FORECAST_METRICS = ("people_listed", "people_listed_cumulative", "flights_blocked_cumulative",
                    "trains_blocked_cumulative", "complied_cumulative")


def year_before(day: dt.date) -> dt.date:
    """The same calendar day a year earlier (28 February for a 29 February).

    >>> year_before(dt.date(2020, 2, 29))
    datetime.date(2019, 2, 28)
    """
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month-end from January of ``first``'s year up to ``last`` (inclusive).

    >>> month_ends(dt.date(2013, 10, 1), dt.date(2014, 2, 27))[-2:]
    [datetime.date(2013, 12, 31), datetime.date(2014, 1, 31)]
    """
    out = []
    year, month = first.year, 1
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > last:
            return out
        out.append(end)
        year, month = following.year, following.month


@dataclass(frozen=True)
class DailySeries:
    """The whole-population daily columns of one run that metrics are read from.

    Attributes:
        start: the simulation's first day.
        columns: column name -> int64 array of shape (days,), one value per day.
        list_name: the list that list metrics read.
    """

    start: dt.date
    columns: dict[str, np.ndarray]
    list_name: str

    @property
    def last(self) -> dt.date:
        """The simulation's last day."""
        days = len(next(iter(self.columns.values())))
        return self.start + dt.timedelta(days=days - 1)

    def value(self, metric: str, day: dt.date) -> float:
        """The simulated (unscaled) value of ``metric`` at the end of ``day``.

        Raises:
            ValueError: ``day`` is after the simulation's last day.
        """
        if day > self.last:
            raise ValueError(f"{day} is after the simulation's last day {self.last}")
        if metric in STOCKS:
            return float(self._at(self._column(STOCKS[metric]), day))
        in_year = metric.endswith("_in_year")
        flow = metric.removesuffix("_in_year" if in_year else "_cumulative")
        cumulative = self._cumulative(FLOWS[flow])
        total = self._at(cumulative, day)
        if in_year:
            total -= self._at(cumulative, year_before(day))
        return float(total)

    def _column(self, template: str) -> np.ndarray:
        return self.columns[template.format(list=self.list_name)]

    def _cumulative(self, template: str) -> np.ndarray:
        return np.cumsum(self._column(template))

    def _at(self, series: np.ndarray, day: dt.date) -> int:
        index = (day - self.start).days
        return 0 if index < 0 else int(series[index])


def needed_columns(list_name: str) -> list[str]:
    """The daily.parquet columns that metrics read, for list ``list_name``."""
    names = {t.format(list=list_name) for t in [*FLOWS.values(), *STOCKS.values()]}
    return sorted(names)


def read_series(folder: str | Path, list_name: str) -> DailySeries:
    """Read the whole-population rows of ``folder``/daily.parquet, ordered by day."""
    columns = needed_columns(list_name)
    daily = (pl.scan_parquet(Path(folder) / "daily.parquet")
             .filter(pl.col("dimension") == "all")
             .select("day", "date", *columns).sort("day").collect())
    start = daily["date"][0]
    return DailySeries(start=start, list_name=list_name,
                       columns={c: daily[c].cast(pl.Int64).to_numpy() for c in columns})
