"""The same minimal scoring world in Mesa 3 and in scorelab, timed side by side.

Issue 3, target 1. The world (three behaviours with daily chances and points,
cameras with a recall and a false-match rate, four grade bands, flights denied
to the lowest grade) is written once as data, in ``minimal-policy.toml`` and
``minimal-scenario.toml`` beside this file. scorelab runs those files; the
Mesa model reads the same two files and applies the same rules agent by agent,
the idiomatic Mesa 3 way: one ``mesa.Agent`` per citizen whose ``step()``
makes that citizen's draws for the day, ``self.agents.shuffle_do("step")`` once
a day, and a ``DataCollector`` of daily model counters.

Data flow::

    minimal-policy.toml + minimal-scenario.toml --> MinimalWorld --> ScoringModel (Mesa)
                                               \\--> scorelab.run(...) --> run folder
    both --> wall time --> citizen-days per second, ratio, and the outcome counts side by side

Timing: each side is timed with ``time.perf_counter`` around the whole run
(Mesa: building the agents and stepping every day; scorelab: ``scorelab.run``
including population synthesis and writing the run folder). scorelab's numba
kernels compile on first use; a small warm-up run is done first and is not
timed. Run ``python benchmarks/vs_mesa.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import mesa
import polars as pl

import scorelab
from scorelab.world._scenario import deep_merge

HERE = Path(__file__).resolve().parent
POLICY = HERE / "minimal-policy.toml"
SCENARIO = HERE / "minimal-scenario.toml"
DEFAULTS = HERE.parent / "data" / "world-defaults.toml"


# -- the world, read from the same files scorelab runs -----------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """One behaviour: its daily chance, and for each sensor the chance and points of a record."""

    name: str
    daily_chance: float
    detection: tuple[tuple[str, float], ...]  # (sensor, chance that one act is recorded)
    false_matches: tuple[tuple[str, float], ...]  # (sensor, chance per citizen-day)
    points: dict[str, int]  # sensor -> points of a record from it (rules of the policy)


@dataclass(frozen=True)
class MinimalWorld:
    """The rules of the minimal world, in the form a per-agent model needs."""

    start: int
    floor: int
    ceiling: int
    grades: tuple[tuple[str, int], ...]  # (name, min), best first
    behaviours: tuple[Behaviour, ...]
    flight_chance: float
    flight_denied_grade: str


def read_world(policy_path: Path = POLICY, scenario_path: Path = SCENARIO) -> MinimalWorld:
    """Read the benchmark policy and scenario into the rules the Mesa model applies.

    The scenario is merged over the world defaults as scorelab does. Camera
    detection is ``observed_by * recall`` (the scenario sets the cameras' reach
    so high that coverage is 1), and a camera false match is a citizen-day
    draw with chance ``false_match_rate * daily_chance * detection``: the
    false-match rate times the camera identifications per person, as in
    scorelab's ``engine._tables._false_rates``.
    """
    policy = tomllib.loads(policy_path.read_text())
    scenario = deep_merge(tomllib.loads(DEFAULTS.read_text()),
                          tomllib.loads(scenario_path.read_text()))
    cameras = scenario["cameras"]
    rules: dict[str, dict[str, int]] = {}
    for rule in policy["rules"]:
        for sensor in rule["sensors"]:
            rules.setdefault(rule["behaviour"], {})[sensor] = int(rule["points"])
    behaviours = []
    for name, spec in scenario["behaviours"].items():
        if spec["rate_per_year"] <= 0:
            continue
        chance = spec["rate_per_year"] / 365.0
        detection, false_matches = [], []
        for sensor, observed in spec.get("observed_by", {}).items():
            seen = observed * cameras["recall"] if sensor == "camera" else observed
            if seen > 0:
                detection.append((sensor, min(1.0, seen)))
            if sensor == "camera" and cameras["false_match_rate"] > 0:
                false_matches.append((sensor, cameras["false_match_rate"] * chance * seen))
        behaviours.append(Behaviour(name, chance, tuple(detection), tuple(false_matches),
                                    rules.get(name, {})))
    (sanction,) = policy["sanctions"]
    grades = tuple((g["name"], g["min"]) for g in policy["grades"])
    if sanction["service"] != "flight" or sanction["when"] != f'grade == "{grades[-1][0]}"':
        sys.exit("vs_mesa: the benchmark policy must deny flights to its lowest grade only")
    score = policy["score"]
    return MinimalWorld(start=score["start"], floor=score["floor"], ceiling=score["ceiling"],
                        grades=grades, behaviours=tuple(behaviours),
                        flight_chance=scenario["services"]["flight"]["attempts_per_year"] / 365,
                        flight_denied_grade=grades[-1][0])


# -- Mesa 3: one agent per citizen ---------------------------------------------------------------


class Citizen(mesa.Agent):
    """A citizen with a score and a grade; each day they may act, be recorded and fly."""

    def __init__(self, model: ScoringModel) -> None:
        super().__init__(model)
        self.score = model.world.start
        self.grade = model.grade_of(self.score)

    def step(self) -> None:
        """One day: a Bernoulli draw per behaviour, detection, false matches, a flight attempt."""
        model = self.model
        draw = self.random.random
        for behaviour in model.world.behaviours:
            if draw() < behaviour.daily_chance:
                model.acts += 1
                for sensor, chance in behaviour.detection:
                    if draw() < chance:
                        self.record(behaviour, sensor, wrongful=False)
            for sensor, chance in behaviour.false_matches:
                if draw() < chance:
                    self.record(behaviour, sensor, wrongful=True)
        if draw() < model.world.flight_chance:
            model.flight_attempts += 1
            if self.grade == model.world.flight_denied_grade:
                model.flights_denied += 1

    def record(self, behaviour: Behaviour, sensor: str, *, wrongful: bool) -> None:
        """A sensor reports this citizen: apply the rule's points within the bounds, re-grade."""
        model = self.model
        model.records += 1
        model.wrongful_records += wrongful
        points = behaviour.points.get(sensor, 0)
        if points:
            world = model.world
            self.score = min(world.ceiling, max(world.floor, self.score + points))
            grade = model.grade_of(self.score)
            if grade != self.grade:
                model.grade_counts[self.grade] -= 1
                model.grade_counts[grade] += 1
                self.grade = grade


class ScoringModel(mesa.Model):
    """The minimal scoring world; one ``step()`` is one day."""

    def __init__(self, world: MinimalWorld, citizens: int, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.world = world
        self.acts = self.records = self.wrongful_records = 0
        self.flight_attempts = self.flights_denied = 0
        self.grade_counts = {name: 0 for name, _ in world.grades}
        Citizen.create_agents(self, citizens)
        for citizen in self.agents:
            self.grade_counts[citizen.grade] += 1
        lowest = world.flight_denied_grade
        self.datacollector = mesa.DataCollector(model_reporters={
            "records": "records",
            "flights_denied": "flights_denied",
            f"grade_{lowest}": lambda m: m.grade_counts[lowest],
        })

    def grade_of(self, score: int) -> str:
        """Band grade of a score: the first grade, best first, whose min it reaches."""
        for name, minimum in self.world.grades:
            if score >= minimum:
                return name
        return self.world.grades[-1][0]

    def step(self) -> None:
        """One day for everyone, in random order, then the day's counters."""
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


# -- the two runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one run did, for the side-by-side table."""

    citizens: int
    days: int
    seconds: float
    acts: int
    records: int
    wrongful_records: int
    flight_attempts: int
    flights_denied: int
    lowest_grade_at_end: int

    @property
    def citizen_days_per_second(self) -> float:
        """Citizen-days simulated per wall-clock second."""
        return self.citizens * self.days / self.seconds


def run_mesa(world: MinimalWorld, citizens: int, days: int, seed: int) -> Outcome:
    """Build the Mesa model and step it ``days`` times; the whole of it is timed."""
    clock = time.perf_counter()
    model = ScoringModel(world, citizens, seed=seed)
    for _ in range(days):
        model.step()
    seconds = time.perf_counter() - clock
    return Outcome(citizens, days, seconds, model.acts, model.records, model.wrongful_records,
                   model.flight_attempts, model.flights_denied,
                   model.grade_counts[world.flight_denied_grade])


def run_scorelab(world: MinimalWorld, citizens: int, days: int, seed: int, *,
                 ledger_sample: float, workers: int) -> Outcome:
    """Run scorelab on the benchmark files into a temporary folder; ``scorelab.run`` is timed."""
    with tempfile.TemporaryDirectory(prefix="vs-mesa-") as tmp:
        clock = time.perf_counter()
        # no audit or HTML report: Mesa's side collects daily counters and nothing more
        result = scorelab.run(POLICY, SCENARIO, citizens=citizens, days=days, seed=seed,
                              out=Path(tmp) / "run", ledger_sample=ledger_sample,
                              workers=workers, report=False)
        seconds = time.perf_counter() - clock
        people = pl.from_arrow(result.citizens)
        daily = pl.from_arrow(result.daily)
    everyone = daily.filter(pl.col("dimension") == daily["dimension"][0])
    totals = people.select(pl.col("acts", "records", "wrongful_records").sum()).row(0)
    lowest = world.flight_denied_grade
    return Outcome(citizens, days, seconds, *totals,
                   int(everyone["attempts_flight"].sum()), int(everyone["denied_flight"].sum()),
                   int((people["grade"].cast(pl.String) == lowest).sum()))


def _table(mesa_run: Outcome, scorelab_run: Outcome) -> str:
    per = 1000.0 / mesa_run.citizens, 1000.0 / scorelab_run.citizens
    rows = [("", "Mesa 3", "scorelab"),
            ("citizens x days", f"{mesa_run.citizens:,} x {mesa_run.days}",
             f"{scorelab_run.citizens:,} x {scorelab_run.days}"),
            ("wall time (s)", f"{mesa_run.seconds:,.2f}", f"{scorelab_run.seconds:,.2f}"),
            ("citizen-days per second", f"{mesa_run.citizen_days_per_second:,.0f}",
             f"{scorelab_run.citizen_days_per_second:,.0f}")]
    for name in ("acts", "records", "wrongful_records", "flight_attempts", "flights_denied",
                 "lowest_grade_at_end"):
        a, b = getattr(mesa_run, name), getattr(scorelab_run, name)
        rows.append((f"{name} per 1,000 citizens", f"{a * per[0]:,.2f}", f"{b * per[1]:,.2f}"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{width[0]}}  {r[1]:>{width[1]}}  {r[2]:>{width[2]}}" for r in rows)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run both sides, print the table and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--mesa-citizens", type=int, default=None,
                        help="a smaller Mesa population (default: --citizens); the ratio then "
                             "compares rates per citizen-day and says so")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ledger-sample", type=float, default=1.0,
                        help="share of citizens whose ledger scorelab writes (default 1.0: all)")
    parser.add_argument("--workers", type=int, default=1,
                        help="scorelab worker processes (default 1: one core, as Mesa)")
    args = parser.parse_args(argv)
    mesa_citizens = args.mesa_citizens or args.citizens
    world = read_world()

    print(f"scorelab {scorelab.__version__}, Mesa {mesa.__version__}, Python "
          f"{sys.version.split()[0]}; seed {args.seed}, scorelab workers {args.workers}, "
          f"ledger sample {args.ledger_sample}")
    warm = time.perf_counter()
    run_scorelab(world, 1000, 30, args.seed, ledger_sample=args.ledger_sample, workers=1)
    print(f"scorelab warm-up (1,000 x 30, compiles or loads the numba kernels, NOT timed): "
          f"{time.perf_counter() - warm:.1f} s")
    fast = run_scorelab(world, args.citizens, args.days, args.seed,
                        ledger_sample=args.ledger_sample, workers=args.workers)
    print(f"scorelab: {fast.seconds:.2f} s")
    print(f"Mesa: running {mesa_citizens:,} x {args.days} ...", flush=True)
    slow = run_mesa(world, mesa_citizens, args.days, args.seed)
    print(f"Mesa: {slow.seconds:.2f} s\n")
    print(_table(slow, fast))
    ratio = fast.citizen_days_per_second / slow.citizen_days_per_second
    print(f"\nratio scorelab / Mesa (citizen-days per second): {ratio:,.0f}x")
    if mesa_citizens != args.citizens:
        print(f"NOTE: EXTRAPOLATED. Mesa ran {mesa_citizens:,} citizens, scorelab "
              f"{args.citizens:,}; the ratio assumes Mesa's rate per citizen-day stays the same "
              f"at {args.citizens:,} citizens (it does not improve with size).")
    print("(the counts come from different random streams, so they agree in expectation, "
          "not draw for draw)")

if __name__ == "__main__":
    main()
