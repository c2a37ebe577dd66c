"""Seeds for many simulations from one: replicate r of a seed is the same wherever it is used.

Experiments, ``compare --replicates`` and calibration's forecast bands all run a
set of inputs on several seeds. Each derives replicate r's seed from one seed
here, so the same replicate uses the same seed at every design point and in
both runs of a comparison (common random numbers): differences are paired.
"""

from __future__ import annotations

import numpy as np


def replicate_seed(seed: int, replicate: int) -> int:
    """Replicate ``replicate`` of ``seed``: numpy's SeedSequence of the pair, in [0, 2**63).

    >>> replicate_seed(7, 0) == replicate_seed(7, 0), replicate_seed(7, 0) != replicate_seed(7, 1)
    (True, True)
    >>> replicate_seed(2018, 0)
    7333575965861000722
    """
    sequence = np.random.SeedSequence([seed, replicate])
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))
