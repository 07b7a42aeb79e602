"""Every random stream of a training run, derived from the run's seed in one place.

A run with seed ``s`` draws its random numbers from separate streams: the policy's initial
weights, the actions it samples, the minibatch order, the discriminator's weights and batches,
the environments' start states.  Each stream gets its own generator, seeded from ``(s, stream)``
by numpy's ``SeedSequence``, so no two streams (and no two seeds) ever share numbers, and seed
``s`` trained alone or beside other seeds draws exactly the same numbers.
"""

from __future__ import annotations

import os

import numpy as np
import torch

STREAMS = ("policy_init", "actions", "minibatches", "disc_init", "disc_batches", "env", "reward_init", "potential_init")
"""The named streams of one run."""

EVAL_SEED_OFFSET = 1_000_000
"""Greedy evaluations during training run on episodes seeded ``seed + EVAL_SEED_OFFSET``."""

HELD_OUT_EVAL_SEED = 2_000_000
"""Episodes no training run has seen: the benchmark's and the notebooks' final evaluations."""

DEMO_SEED = 2024
"""The shipped demonstrations start from the episodes seeded ``DEMO_SEED ..``."""

DAGGER_ROLLOUT_SEED = 3_000_000
"""DAgger's data-collecting episodes in round i are seeded from ``DAGGER_ROLLOUT_SEED + 1000 * i``:
apart from the demonstrations' and the evaluations' start states."""


SEED_SET_VARIABLE = "GAIL_HELPERS_SEED_SET"
"""An environment variable for the claims check (``make claims``) only: a whole number k > 0 makes
every training run draw from seed set k, as if every seed were another one, so the notebooks'
claims can be re-checked on other seeds without editing them.  Unset (seed set 0) everywhere else."""


def stream_seed(seed: int, stream: str) -> int:
    """A 32-bit seed for ``stream`` of the run with ``seed``; distinct for every (seed, stream)."""
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}: streams are {list(STREAMS)}")
    seed_set = int(os.environ.get(SEED_SET_VARIABLE, "0"))
    key = [int(seed), STREAMS.index(stream)] + ([seed_set] if seed_set else [])
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def generators(seeds: list[int], stream: str) -> list[torch.Generator]:
    """One torch generator per seed for ``stream``."""
    return [torch.Generator().manual_seed(stream_seed(s, stream)) for s in seeds]
