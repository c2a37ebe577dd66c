"""The behaviour model: how often people act, whether an act happens, who sees it (numba).

* a behaviour's **rate** depends on the citizen's rate class (sex, urban, aged
  60+, income decile); the candidate acts it gives are thinned by
* **deterrence**: a candidate act happens with a chance that falls with its
  cost under the policy and the perceived chance of being seen, which grows
  with the member's **experience** (sanctions and shaming witnessed), halving
  every ``half_life`` days; acts a policy rewards are encouraged instead;
* **sensors** observe an act in a fixed order, each with its chance in the
  area (region and urban/rural), the first to see it makes the record;
* **false records**: sensors also report acts never committed, cameras more
  often for women and the old (NIST's false-match multipliers).

Every draw is keyed by its own stream (``scorelab._random``), so changing one
rate leaves every other draw as it was.
"""

from __future__ import annotations

import math

from numba import njit

from scorelab import _random as rnd

N_CLASSES = 80  # sex x urban x aged 60+ x income decile: what sets a behaviour's rate


@njit(cache=True)
def rate_class(sex, urban, elderly, income):
    """Index of the rate class of a citizen (see :data:`N_CLASSES`)."""
    return sex + 2 * urban + 4 * elderly + 8 * income


@njit(cache=True)
def behaviour_mean(T, behaviour, rate_class_index, days):
    """Expected candidate acts of ``behaviour`` over ``days`` for one citizen of a rate class."""
    rate = T.beh_rate[behaviour] * T.beh_boost[behaviour]
    if rate_class_index & 1 == 0:
        rate *= T.beh_male[behaviour]
    if (rate_class_index >> 1) & 1 == 1:
        rate *= T.beh_urban[behaviour]
    if (rate_class_index >> 2) & 1 == 1:
        rate *= T.beh_elderly[behaviour]
    rate *= 1.0 + T.beh_income_slope[behaviour] * ((rate_class_index >> 3) - 4.5) / 4.5
    return rate * days


@njit(cache=True, inline="always")
def false_mean(T, behaviour, sensor, area, female, elderly):
    """Expected false records of ``behaviour`` by ``sensor`` over the run, for one citizen.

    Cameras' false matches lean on women and the old; the mean multiplier keeps
    their total. 0 where the sensor makes none there.
    """
    rate = T.false_rate[behaviour, sensor, area]
    if rate <= 0.0:
        return 0.0
    if T.false_camera[sensor]:
        rate *= T.false_female if female else 1.0
        rate *= T.false_elderly if elderly else 1.0
        rate /= T.false_norm
    return rate * float(T.days)


@njit(cache=True)
def experience(T, H, member, time):
    """Experience of ``member`` at ``time``: it halves every ``half_life`` days."""
    level = H.experience[member, 0]
    if level == 0.0:
        return 0.0
    return level * 0.5 ** ((time - H.experience[member, 1]) / T.half_life)


@njit(cache=True)
def add_experience(T, H, member, time, amount):
    """Add ``amount`` to ``member``'s experience at ``time``."""
    H.experience[member, 0] = experience(T, H, member, time) + amount
    H.experience[member, 1] = time


@njit(cache=True, inline="always")
def act_happens(T, behaviour, day, area, level, accept_key, draw):
    """Whether candidate act ``draw`` of ``behaviour`` happens at experience ``level``.

    Its chance against its own draw; ``accept_key`` is the member's subject key
    of stream ``ACT_ACCEPT + behaviour``.
    """
    chance = act_chance(T, behaviour, day, area, level)
    return chance >= 1.0 or rnd.uniform_from(accept_key, draw) < chance


@njit(cache=True, inline="always")
def act_chance(T, behaviour, day, area, level):
    """The chance that a candidate act of ``behaviour`` on ``day`` happens, at experience ``level``.

    Acts the policy punishes are deterred, more so as experience raises the
    perceived chance of being seen; acts it rewards are encouraged up to
    ``max_boost`` (their candidates are drawn at the boosted rate, hence the
    division).
    """
    cost = T.beh_cost[behaviour, day]
    if cost > 0.0:
        perceived = min(1.0, T.beh_detect_any[behaviour, area] * (1.0 + T.experience_gain * level))
        return math.exp(-T.beh_elasticity[behaviour] * T.awareness * perceived * cost)
    if cost < 0.0:
        gain = min(T.max_boost, T.beh_elasticity[behaviour] * T.awareness * -cost)
        return (1.0 + gain) / T.beh_boost[behaviour]
    return 1.0 / T.beh_boost[behaviour]


@njit(cache=True, inline="always")
def chance_reads_no_state(T, behaviour, day):
    """Whether :func:`act_chance` of ``behaviour`` on ``day`` is the same at any experience.

    Experience only enters a deterred act's chance, and not at all when nobody
    responds (elasticity or awareness 0: the chance is then exp(0) = 1).
    """
    return T.beh_cost[behaviour, day] <= 0.0 or T.beh_elasticity[behaviour] * T.awareness == 0.0


@njit(cache=True)
def accepts(T, H, behaviour, draw, time, day, member, area):
    """Thinning in the replay: does candidate act ``draw`` happen at the member's experience now?"""
    level = experience(T, H, member, time) if T.beh_cost[behaviour, day] > 0.0 else 0.0
    accept_key = rnd.subject_key(rnd.stream_key(T.seed, rnd.ACT_ACCEPT + behaviour),
                                 H.cids[member])
    return act_happens(T, behaviour, day, area, level, accept_key, draw)


@njit(cache=True, inline="always")
def sensor_count(sensors):
    """How many sensors observe a behaviour (its row of ``T.beh_sensor``, -1 after the last)."""
    n = 0
    while n < sensors.shape[0] and sensors[n] >= 0:
        n += 1
    return n


@njit(cache=True, inline="always")
def first_sensor(detect_key, draw, sensors, chances, n_sensors):
    """The first sensor (in observation order) that records candidate act ``draw``, or -1.

    ``detect_key`` is the member's subject key of stream ``DETECT + behaviour``;
    each sensor draws counter ``draw * 16 + slot`` against its chance where the
    act happens. Every draw is made and the first hit kept without a branch on
    the draws (they are coin flips, which a branch predicts badly).
    """
    seen_by = -1
    for slot in range(n_sensors - 1, -1, -1):
        hit = rnd.uniform_from(detect_key, draw * 16 + slot) < chances[slot]
        seen_by = sensors[slot] if hit else seen_by
    return seen_by


@njit(cache=True)
def detecting_sensor(T, H, member, behaviour, draw, area):
    """In the replay: the first sensor that records candidate act ``draw``, or -1."""
    detect_key = rnd.subject_key(rnd.stream_key(T.seed, rnd.DETECT + behaviour), H.cids[member])
    return first_sensor(detect_key, draw, T.beh_sensor[behaviour],
                        T.beh_detect[behaviour, :, area], sensor_count(T.beh_sensor[behaviour]))
