"""Whether the engine is compiled for this machine, and compiling (or loading) it on purpose.

The engine's compiled functions are cached on disk, in a folder keyed by a hash
of the source files that name the compiler (set up when scorelab is imported).
A machine's first run, or the first after scorelab's compiled code changed,
compiles them: about a minute, during which a run shows no progress. The CLI
asks :func:`is_compiled` before a run to say so, and a server can call
:func:`warm_up` in the background before its first run. This module compiles
nothing and does not name the compiler, so editing it sends no machine to
compile again.

Data flow::

    cache index files (one per compiled function) --is_compiled--> bool
    a tiny run (64 citizens, 2 days, the shipped rongcheng policy)
        --generate, to_kernel, new_household, run_chunk--> compiled or loaded: seconds
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np

from scorelab.engine._household import pack_household
from scorelab.engine._kernel import clear_household, new_household, run_chunk
from scorelab.engine._tables import _pack, compile_tables, to_kernel
from scorelab.world._population import _generate, generate, in_sample

#: The compiled functions a run calls from Python (the biggest, run_chunk, first); what
#: they call is compiled into them.
ENTRY_POINTS = (run_chunk, _pack, pack_household, _generate, in_sample)
WARM_UP_CITIZENS, WARM_UP_DAYS = 64, 2


def _cached_here(dispatcher) -> bool:
    """Whether ``dispatcher``'s cache index has code for this machine and this source.

    The compiler's own test, read without compiling: its index is keyed by the
    source file's modification time and size, and each entry by the CPU and the
    function's bytecode. These are its internals (version 0.68); where they are not
    as expected, an index file for the function is taken as enough.
    """
    try:
        cache = dispatcher._cache
        index, key = cache._cache_file._load_index, cache._index_key
        codegen = dispatcher.targetctx.codegen()
    except AttributeError:
        name = dispatcher.py_func.__name__
        return any(Path(dispatcher._cache.cache_path).glob(f"*.{name}-*.nbi"))
    try:
        overloads = index()  # {} when missing or stale
    except (OSError, EOFError, pickle.UnpicklingError):  # damaged: it compiles again
        return False
    _, machine, code = key(None, codegen)
    return any(entry[1] == machine and entry[2] == code for entry in overloads)


def is_compiled() -> bool:
    """Whether every compiled entry point of the engine is in the cache for this machine.

    False means the next run (or :func:`warm_up`) compiles the engine first,
    about a minute on one core.
    """
    return all(_cached_here(function) for function in ENTRY_POINTS)


def warm_up() -> float:
    """Compile the engine, or load it from the cache, by running a tiny world; return seconds.

    After it, a run in this process starts simulating at once, and worker
    processes load the engine from the cache instead of each compiling it.
    Takes about a minute when :func:`is_compiled` is False, a second or two
    when it is True.
    """
    # imported here: loading a policy and a scenario reads shipped files
    from scorelab._resources import resolve_policy  # noqa: PLC0415
    from scorelab.policy import load_policy  # noqa: PLC0415
    from scorelab.world import census_cdfs, load_census, load_scenario  # noqa: PLC0415

    clock = time.perf_counter()
    policy = load_policy(resolve_policy("rongcheng")).policy
    world = load_scenario(None, citizens=WARM_UP_CITIZENS, days=WARM_UP_DAYS).scenario
    census = load_census(world.scenario.census)
    population = census_cdfs(census)
    tables, _ = compile_tables(policy, world, census, population.occupation_names,
                             ledger_sample=1.0)
    people = generate(world.scenario.seed, 0, WARM_UP_CITIZENS, WARM_UP_CITIZENS, population)
    in_sample(world.scenario.seed, people.citizen_id, 0.5)
    household = new_household(tables, WARM_UP_CITIZENS)
    clear_household(household, 0)  # the accessors a worker uses on its scratch
    matrix = np.zeros((tables.days + 1, tables.layout.width, tables.n_groups), np.int64)
    run_chunk(to_kernel(tables), household, matrix, people.citizen_id, people.household_id,
              people.sex, people.age, people.region, people.urban, people.income_decile,
              people.occupation)
    return time.perf_counter() - clock
