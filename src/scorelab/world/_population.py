"""Synthetic citizens in households, drawn from census marginals.

Citizens are rows of numpy arrays (struct of arrays), never objects. The
population is cut into fixed blocks of ``BLOCK`` citizens; each block is filled
with households whose sizes follow the census, so the people of a block depend
only on (seed, block number). A chunk of work is a whole number of blocks, and
households never straddle chunks: family sanctions stay local and any chunk
size gives the same people.

A household's id is its head's citizen id. The head and a second member are
adults; further members are children with the probability that reproduces the
census share of under-18s. Region, urban/rural and income decile belong to the
household; sex, age and occupation to the person. Ages are fixed for the run.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from scorelab import _random as rnd
from scorelab.world._census import AGE_BANDS, Census

BLOCK = 1024
"""Citizens per block; chunk sizes are rounded up to a multiple of it."""

MINOR = -1  # placeholder replaced by the index after the census occupations


@dataclass(frozen=True)
class CensusCdfs:
    """Census marginals as cumulative tables for the generator kernel."""

    size_cdf: np.ndarray
    region_cdf: np.ndarray
    region_urban: np.ndarray
    male_share: float
    age_min: np.ndarray
    age_max: np.ndarray
    adult_age_cdf: np.ndarray
    child_age_cdf: np.ndarray
    child_probability: float
    income_cdf_urban: np.ndarray
    income_cdf_rural: np.ndarray
    occupation_cdf: np.ndarray
    retired: int
    not_working: int
    student: int
    occupation_names: tuple[str, ...]


def census_cdfs(census: Census) -> CensusCdfs:
    """Turn census shares into the cumulative tables the kernel draws from."""
    child_band = census.age_max < 18
    adult_share = np.where(child_band, 0.0, census.age_share)
    child_share = np.where(child_band, census.age_share, 0.0)
    sizes = np.arange(1, census.household_size_share.size + 1)
    mean_size = float((sizes * census.household_size_share).sum())
    extra_slots = float((np.maximum(sizes - 2, 0) * census.household_size_share).sum())
    child_probability = min(1.0, float(child_share.sum()) * mean_size / extra_slots)
    # Income deciles are national: rural households lean to the lower deciles,
    # urban ones fill the rest so that the nation stays uniform (assumption: a
    # linear tilt of +-60% across deciles, docs/model.md).
    urban = census.urban_share
    tilt = 0.1 * (1 + 0.6 * (4.5 - np.arange(10)) / 4.5)
    rural_income = tilt / tilt.sum()
    urban_income = (0.1 - (1 - urban) * rural_income) / urban
    names = census.occupation_names
    return CensusCdfs(
        size_cdf=np.cumsum(census.household_size_share),
        region_cdf=np.cumsum(census.region_population / census.region_population.sum()),
        region_urban=census.region_urban_share.copy(),
        male_share=census.male_share,
        age_min=census.age_min,
        age_max=census.age_max,
        adult_age_cdf=np.cumsum(adult_share / adult_share.sum()),
        child_age_cdf=np.cumsum(child_share / child_share.sum()),
        child_probability=child_probability,
        income_cdf_urban=np.cumsum(urban_income),
        income_cdf_rural=np.cumsum(rural_income),
        occupation_cdf=np.cumsum(census.occupation_share),
        retired=names.index("retired"),
        not_working=names.index("not_working"),
        student=names.index("student"),
        occupation_names=(*names, "minor"),
    )


@dataclass
class Citizens:
    """A chunk of citizens as columns; every array has shape (n,)."""

    citizen_id: np.ndarray  # int64
    household_id: np.ndarray  # int64, the head's citizen id
    sex: np.ndarray  # int8, 0 male, 1 female
    age: np.ndarray  # int16, years
    region: np.ndarray  # int16, index into census regions
    urban: np.ndarray  # int8, 1 urban
    income_decile: np.ndarray  # int8, 0 (poorest) .. 9
    occupation: np.ndarray  # int8, index into CensusCdfs.occupation_names

    def __len__(self) -> int:
        return int(self.citizen_id.shape[0])

    def subset(self, keep: np.ndarray) -> Citizens:
        """The citizens where ``keep`` (a boolean mask) is true."""
        return Citizens(*(getattr(self, f.name)[keep] for f in fields(self)))


@njit(cache=True)
def in_sample(seed: int, citizen_id: np.ndarray, rate: float) -> np.ndarray:
    """The seeded sample of citizens kept in the per-citizen outputs (same as the ledger's)."""
    keep = np.empty(citizen_id.shape[0], np.bool_)
    for i in range(citizen_id.shape[0]):
        keep[i] = rate >= 1.0 or rnd.uniform(seed, rnd.LEDGER_SAMPLE, citizen_id[i], 0) < rate
    return keep


def age_band_of(age: np.ndarray) -> np.ndarray:
    """Index into :data:`AGE_BANDS` for each age.

    >>> age_band_of(np.array([3, 18, 45, 90])).tolist()
    [0, 1, 3, 5]
    """
    edges = np.array([lo for lo, _ in AGE_BANDS[1:]])
    return np.searchsorted(edges, age, side="right").astype(np.int8)


def generate(seed: int, first: int, count: int, total: int, tables: CensusCdfs) -> Citizens:
    """Generate citizens ``first .. first + count - 1`` of a population of ``total``.

    ``first`` must be a multiple of :data:`BLOCK`, and ``count`` too unless the
    chunk ends the population, so that no household is cut.
    """
    if first % BLOCK or (count % BLOCK and first + count != total):
        raise ValueError("a chunk must start and end on a block boundary")
    t = tables
    columns = _generate(
        seed, first, count, total, t.size_cdf, t.region_cdf, t.region_urban, t.male_share,
        t.age_min, t.age_max, t.adult_age_cdf, t.child_age_cdf, t.child_probability,
        t.income_cdf_urban, t.income_cdf_rural, t.occupation_cdf, t.retired, t.not_working,
        t.student,
    )
    return Citizens(*columns)


@njit(cache=True)
def _draw_age(seed, citizen, cdf, age_min, age_max):
    band = rnd.choose(cdf, rnd.uniform(seed, rnd.AGE, citizen, 0))
    span = age_max[band] - age_min[band] + 1
    return age_min[band] + min(span - 1, int(rnd.uniform(seed, rnd.AGE, citizen, 1) * span))


@njit(cache=True)
def _generate(seed, first, count, total, size_cdf, region_cdf, region_urban, male_share,
              age_min, age_max, adult_age_cdf, child_age_cdf, child_probability,
              income_cdf_urban, income_cdf_rural, occupation_cdf, retired, not_working, student):
    citizen_id = np.arange(first, first + count, dtype=np.int64)
    household = np.empty(count, np.int64)
    sex = np.empty(count, np.int8)
    age = np.empty(count, np.int16)
    region = np.empty(count, np.int16)
    urban = np.empty(count, np.int8)
    income = np.empty(count, np.int8)
    occupation = np.empty(count, np.int8)
    minor = occupation_cdf.shape[0]
    end = first + count
    for block_start in range(first, end, 1024):
        block_end = min(block_start + 1024, total)
        head = block_start
        j = 0
        while head < block_end:
            size = 1 + rnd.choose(size_cdf, rnd.uniform(seed, rnd.HOUSEHOLD_SIZE, block_start, j))
            j += 1
            size = min(size, block_end - head)
            reg = rnd.choose(region_cdf, rnd.uniform(seed, rnd.REGION, head, 0))
            is_urban = rnd.uniform(seed, rnd.URBAN, head, 0) < region_urban[reg]
            income_cdf = income_cdf_urban if is_urban else income_cdf_rural
            decile = rnd.choose(income_cdf, rnd.uniform(seed, rnd.INCOME, head, 0))
            head_sex = 0 if rnd.uniform(seed, rnd.SEX, head, 0) < male_share else 1
            for k in range(size):
                c = head + k
                i = c - first
                household[i] = head
                region[i] = reg
                urban[i] = 1 if is_urban else 0
                income[i] = decile
                if k == 1 and rnd.uniform(seed, rnd.ROLE, c, 1) < 0.9:
                    sex[i] = 1 - head_sex  # a spouse (assumption: 90% of second members)
                elif k == 0:
                    sex[i] = head_sex
                else:
                    sex[i] = 0 if rnd.uniform(seed, rnd.SEX, c, 0) < male_share else 1
                is_child = k >= 2 and rnd.uniform(seed, rnd.ROLE, c, 0) < child_probability
                cdf = child_age_cdf if is_child else adult_age_cdf
                a = _draw_age(seed, c, cdf, age_min, age_max)
                age[i] = a
                if a < 18:
                    occupation[i] = minor
                else:
                    o = rnd.choose(occupation_cdf, rnd.uniform(seed, rnd.OCCUPATION, c, 0))
                    if a >= 65:
                        o = retired
                    elif o == retired and a < 50 or o == student and a > 30:
                        o = not_working
                    occupation[i] = o
            head += size
    return citizen_id, household, sex, age, region, urban, income, occupation
