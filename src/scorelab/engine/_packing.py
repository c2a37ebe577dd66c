"""What the kernel packs into one int64, each packing with its inverse (numba).

* a **group code**: a citizen's six group values (sex, age band, region,
  urban, income decile, occupation) in 20 bits;
* a **log key**: day, daily-matrix column and group code of one logged count,
  sorted by day when the log is flushed (``_daily_counts``);
* a **tally entry**: a column and the six group cells of a row it adds to,
  for the day tallies of counted events;
* a **false-record stream**: a (behaviour, sensor) pair, the argument of a
  false-record source and the offset of its random stream;
* a **record id**: a citizen id and the number of the citizen's record, as the
  ledger writes it.
"""

from __future__ import annotations

from numba import njit

DAY_SHIFT = 40  # a log key: day above bit 40, column in bits 20-39, group code below
COLUMN_SHIFT = 20
LOW_20_BITS = 0xFFFFF
CELL_BITS = 42  # a tally entry: column above bit 42, six 7-bit group cells below
SENSOR_SLOTS = 16  # false-record streams per behaviour: one per sensor
RECORD_NUMBERS = 65536  # records numbered per citizen in a record id (the last one repeats)


@njit(cache=True)
def group_code(sex, age_band, region, urban, income, occupation):
    """Pack a citizen's group values into the low 20 bits of a log key."""
    return sex | (age_band << 1) | (region << 4) | (urban << 10) | (income << 11) | (
        occupation << 15)


@njit(cache=True, inline="always")
def group_cells(offsets, code):
    """The six groups past "all" that a group code belongs to, as cells of a row, 7 bits each.

    ``offsets`` are the group axis's dimension offsets (``EngineTables.group_offsets``).
    Packed once per source, they spare the day tallies the unpacking that
    ``add_to_groups`` does per entry (a row has at most 125 groups: see
    :func:`group_code`'s bit widths).
    """
    return ((offsets[1] + (code & 1)) | ((offsets[2] + ((code >> 1) & 7)) << 7)
            | ((offsets[3] + ((code >> 4) & 63)) << 14) | ((offsets[4] + ((code >> 10) & 1)) << 21)
            | ((offsets[5] + ((code >> 11) & 15)) << 28)
            | ((offsets[6] + ((code >> 15) & 31)) << 35))


@njit(cache=True, inline="always")
def log_key(day, column, code):
    """The log key of a count on ``day`` in daily-matrix ``column`` for group ``code``."""
    return (day << DAY_SHIFT) | (column << COLUMN_SHIFT) | code


@njit(cache=True, inline="always")
def log_day(key):
    """The day of a log key."""
    return key >> DAY_SHIFT


@njit(cache=True, inline="always")
def log_column(key):
    """The daily-matrix column of a log key."""
    return (key >> COLUMN_SHIFT) & LOW_20_BITS


@njit(cache=True, inline="always")
def log_code(key):
    """The group code of a log key."""
    return key & LOW_20_BITS


@njit(cache=True, inline="always")
def tally_entry(column, cells):
    """A tally entry: ``column`` and the packed :func:`group_cells` it adds to."""
    return (column << CELL_BITS) | cells


@njit(cache=True, inline="always")
def tally_column(entry):
    """The daily-matrix column of a tally entry."""
    return entry >> CELL_BITS


@njit(cache=True, inline="always")
def false_stream(behaviour, sensor):
    """The false-record stream of ``sensor`` for ``behaviour``."""
    return behaviour * SENSOR_SLOTS + sensor


@njit(cache=True, inline="always")
def false_stream_behaviour(stream):
    """The behaviour of a false-record stream."""
    return stream // SENSOR_SLOTS


@njit(cache=True, inline="always")
def false_stream_sensor(stream):
    """The sensor of a false-record stream."""
    return stream % SENSOR_SLOTS


@njit(cache=True, inline="always")
def record_id(citizen_id, number):
    """The ledger's id of record ``number`` (0 first) of a citizen."""
    return citizen_id * RECORD_NUMBERS + min(number, RECORD_NUMBERS - 1)


@njit(cache=True, inline="always")
def record_number(record):
    """The per-citizen number of a record id (its appeal draws are keyed by it)."""
    return record % RECORD_NUMBERS
