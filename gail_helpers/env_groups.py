"""Environments for S seeds at once: G groups of N copies, stepped as one vector env of G * N copies.

Each seed (a group) needs its own environment copies, started from its own random stream.  S
separate vector envs would do, but every ``step`` call has a fixed cost: CartPole's native vector
env takes about the same time for 40 copies as for 8, so one call for all groups makes five seeds
step for the price of one.  Group g behaves exactly like ``make_vector_env(env_id, N, seeds[g])``
alone: the same start states, the same physics, the same autoresets, whatever the other groups do
(``tests/test_seed_batching.py``).  Arrays go in and come out as [G, N, ...].
"""

from __future__ import annotations

import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from gymnasium.utils import seeding

from gail_helpers.envs import make_vector_env


class EnvGroups:
    """``len(seeds)`` groups of ``num_envs`` copies of ``env_id``; copy i of group g starts from seed
    ``seeds[g] + i`` (for CartPole's native vector env, the group's copies share seed ``seeds[g]``)."""

    def __init__(self, env_id: str, num_envs: int, seeds: list[int]) -> None:
        self.seeds = list(seeds)
        self.num_envs = num_envs
        self.envs = make_vector_env(env_id, len(self.seeds) * num_envs, self.seeds[0])
        self.native = isinstance(self.envs.unwrapped, CartPoleVectorEnv)
        if self.native:  # one numpy call steps every copy; each group draws its starts from its own stream
            self.envs.unwrapped.np_random = GroupStarts(self.envs.unwrapped, self.seeds, num_envs)

    def reset(self) -> np.ndarray:
        """Start every copy from its group's seed; the first observations, [G, N, obs_dim]."""
        if self.native:
            self.envs.unwrapped.np_random.reseed()
            obs, _ = self.envs.reset()  # no seed: the groups' generators stay in place
        else:  # every copy of a SyncVectorEnv has its own generator
            obs, _ = self.envs.reset(seed=[s + i for s in self.seeds for i in range(self.num_envs)])
        return self._grouped(obs)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One step of every copy with actions [G, N, ...]; (obs, reward, terminated, truncated), each [G, N, ...]."""
        obs, reward, terminated, truncated, _ = self.envs.step(actions.reshape(-1, *actions.shape[2:]))
        return tuple(self._grouped(x) for x in (obs, reward, terminated, truncated))

    def close(self) -> None:
        """Close the environments."""
        self.envs.close()

    def _grouped(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(self.seeds), self.num_envs, *x.shape[1:])


class GroupStarts:
    """Stands in for a native CartPole vector env's ``np_random``, giving each group its own stream.

    The env draws the start states of the copies it (re)starts in one call,
    ``np_random.uniform(low, high, size=(4, k))``, one column per copy, in copy order: all copies
    on ``reset``, the copies that finished on the previous step (``prev_done``) on ``step``.  Here
    each group draws its own columns from its own generator, exactly the draw a vector env of that
    group alone would make.
    """

    def __init__(self, env: CartPoleVectorEnv, seeds: list[int], num_envs: int) -> None:
        self.env = env
        self.seeds = seeds
        self.num_envs = num_envs
        self.reseed()

    def reseed(self) -> None:
        """Each group's generator as ``reset(seed=seeds[g])`` of its own vector env would make it."""
        self.generators = [seeding.np_random(s)[0] for s in self.seeds]

    def uniform(self, low: float | np.ndarray, high: float | np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Start states for the copies being started, [dims, k]: each group's columns from its generator."""
        total = len(self.seeds) * self.num_envs
        starting = np.ones(total, dtype=bool) if size[-1] == total else self.env.prev_done
        counts = starting.reshape(len(self.seeds), self.num_envs).sum(axis=1)
        parts = [g.uniform(low, high, size=(*size[:-1], k)) for g, k in zip(self.generators, counts, strict=True)]
        return np.concatenate(parts, axis=-1)
