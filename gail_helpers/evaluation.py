"""Running a controller for whole episodes: evaluation returns and recorded trajectories."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gail_helpers.checks import as_array, check_bool, check_callable, check_instance, check_int, shown
from gail_helpers.env_groups import EnvGroups
from gail_helpers.envs import ActionSpec, env_signature
from gail_helpers.errors import InputError
from gail_helpers.policies import ActorCritic, to_env_action
from gail_helpers.seeding import HELD_OUT_EVAL_SEED, generators

MAX_EPISODES = 1_000
"""Episodes run side by side in one call at most (each is an environment copy in memory)."""

Controller = Callable[[np.ndarray], np.ndarray]
"""Anything mapping a batch of observations [N, obs_dim] to a batch of env actions."""


@dataclass
class EpisodeBatch:
    """Whole episodes: per-episode returns, each episode's observations and actions, and how it ended.

    ``final_observations`` [E, obs_dim] holds the state each episode ended in (the one after its last
    action), ``terminated`` [E] whether it ended by the task (True) or by the time limit (False).
    """

    returns: np.ndarray
    observations: list[np.ndarray]
    actions: list[np.ndarray]
    final_observations: np.ndarray
    terminated: np.ndarray

    @property
    def mean_return(self) -> float:
        """Average undiscounted return."""
        return float(self.returns.mean())

    @property
    def mean_observation(self) -> np.ndarray:
        """Each observation dimension averaged over every step of every episode.

        On CartPole ``[0]`` is the mean cart position: the style measure of notebook 07 and the benchmark.
        """
        return np.concatenate(self.observations).mean(axis=0)

    @property
    def lengths(self) -> np.ndarray:
        """Steps per episode."""
        return np.array([len(o) for o in self.observations])


def as_controller(
    policy: ActorCritic | Controller, deterministic: bool = True, seed: int = 0, env_id: str | None = None
) -> Controller:
    """A one-seed policy network becomes ``obs -> actions`` (greedy, or sampled with a generator
    seeded by ``seed``); other controllers pass through.

    With ``env_id``, the policy must fit that environment, and a controller's actions are checked
    at every step: an action the environment would refuse, or silently clip, raises :class:`InputError`.
    """
    deterministic = check_bool("deterministic", deterministic)
    seed = check_int("seed", seed, low=0)
    if isinstance(policy, ActorCritic):
        if policy.num_seeds != 1:
            raise InputError(f"this policy holds {policy.num_seeds} seeds {policy.seeds}: take one with "
                             "policy.seed_policy(i), or use run_episodes_per_seed")
        if env_id is not None:
            policy.check_env(env_id)
        noise = None if deterministic else generators([seed], "actions")
        return lambda obs: policy.predict(obs, noise)
    check_callable("policy", policy, "an ActorCritic or a controller (a function from observations [N, obs_dim] "
                   "to actions [N, ...])")
    if env_id is None:
        return policy
    _, spec = env_signature(env_id)
    return lambda obs: check_actions(policy(obs), spec, len(obs), env_id)


def check_actions(actions: object, spec: ActionSpec, n: int, env_id: str) -> np.ndarray:
    """A controller's actions for ``n`` observations as an array ``env_id`` takes, or :class:`InputError`:
    discrete ones whole numbers below ``spec.n``, continuous ones finite and inside the action box."""
    a = as_array("the controller's actions", actions)
    shape = (n,) if spec.discrete else (n, spec.n)
    problem = ""
    if a.shape != shape:
        problem = f"shape {a.shape}, expected {shape}"
    elif spec.discrete and (a.dtype.kind not in "biu" or a.min() < 0 or a.max() >= spec.n):
        problem = f"values {np.unique(a)[:5].tolist()}, expected whole numbers in 0..{spec.n - 1}"
    elif not spec.discrete and (a.dtype.kind not in "iuf" or not np.isfinite(a).all()):
        problem = "values that are not finite numbers"
    elif not spec.discrete and ((a < np.asarray(spec.low)).any() or (a > np.asarray(spec.high)).any()):
        problem = f"values outside the action box {list(spec.low)}..{list(spec.high)}: clip them"
    if problem:
        raise InputError(f"the controller's actions do not fit {env_id}: it returned {problem} ({shown(actions)})")
    return a.astype(np.int64) if a.dtype.kind == "b" else a


def run_episodes(
    policy: ActorCritic | Controller,
    env_id: str = "CartPole-v1",
    episodes: int = 10,
    seed: int = 10_000,
    deterministic: bool = True,
) -> EpisodeBatch:
    """Run ``episodes`` episodes in parallel (the env copies reset with ``seed``).

    A policy network (one seed) acts greedily unless ``deterministic=False``.  Each copy's first
    episode is recorded; the loop ends when every copy has finished one.
    """
    env_signature(env_id)  # a registered environment that can be made here, or InputError
    seed = check_int("seed", seed, low=0, high=2**32 - 1 - MAX_EPISODES)
    act = as_controller(policy, deterministic, seed, env_id)
    episodes = check_int("episodes", episodes, low=1, high=MAX_EPISODES)
    return _run_groups(lambda obs: act(obs[0])[None], env_id, episodes, [seed])[0]


def run_episodes_per_seed(
    policy: ActorCritic, env_id: str = "CartPole-v1", episodes: int = 10, seed_offset: int = HELD_OUT_EVAL_SEED
) -> list[EpisodeBatch]:
    """Greedy episodes of every seed of ``policy`` at once: seed s runs on episodes seeded
    ``s + seed_offset`` (what :func:`run_episodes` gives ``policy.seed_policy(i)``), one forward pass
    for all seeds per step.  Returns one batch per seed."""
    check_instance("policy", policy, ActorCritic, "run_episodes takes controllers")
    policy.check_env(env_id)
    episodes = check_int("episodes", episodes, low=1, high=MAX_EPISODES)
    seed_offset = check_int("seed_offset", seed_offset, low=0)

    def act(obs: np.ndarray) -> np.ndarray:
        return to_env_action(policy.greedy(torch.as_tensor(obs, dtype=torch.float32)), policy.action_spec)

    return _run_groups(act, env_id, episodes, [s + seed_offset for s in policy.seeds])


def _run_groups(act: Controller, env_id: str, episodes: int, seeds: list[int]) -> list[EpisodeBatch]:
    """``episodes`` env copies per seed in ``seeds`` (one group each); ``act`` maps obs [G, E, obs_dim]
    to actions [G, E, ...] for all G groups at once.  Returns one batch per group."""
    groups = EnvGroups(env_id, episodes, seeds)
    try:
        obs = groups.reset()
        finished = np.zeros((len(seeds), episodes), dtype=bool)
        returns = np.zeros((len(seeds), episodes))
        final_obs = np.zeros(obs.shape, dtype=np.float32)
        terminated = np.zeros((len(seeds), episodes), dtype=bool)
        obs_log, act_log, live_log = [], [], []  # per step: [G, E, ...] and which copies were still running
        while not finished.all():
            actions = np.asarray(act(np.asarray(obs, dtype=np.float32)))
            next_obs, reward, term, trunc = groups.step(actions)
            obs_log.append(obs)
            act_log.append(actions)
            live_log.append(~finished)
            returns[~finished] += reward[~finished]
            ending = (term | trunc) & ~finished
            final_obs[ending] = next_obs[ending]
            terminated[ending] = term[ending]
            finished |= ending
            obs = next_obs
    finally:
        groups.close()
    observations = np.stack(obs_log, axis=2).astype(np.float32)  # [G, E, T, obs_dim]
    actions, live = np.stack(act_log, axis=2), np.stack(live_log, axis=2)  # [G, E, T, ...], [G, E, T]
    return [  # a copy runs for a prefix of the steps: keep each episode's own steps
        EpisodeBatch(
            returns=returns[g],
            observations=[observations[g, i][live[g, i]] for i in range(episodes)],
            actions=[actions[g, i][live[g, i]] for i in range(episodes)],
            final_observations=final_obs[g],
            terminated=terminated[g],
        )
        for g in range(len(seeds))
    ]


def normalised_score(returns: float | np.ndarray, random_return: float, expert_return: float) -> np.ndarray:
    """How far from random towards the expert a return is:

        score = (R - R_random) / (R_expert - R_random)

    0 is a uniformly random policy, 1 the expert (above 1 beats it).  ``returns`` may be an array."""
    return (np.asarray(returns, dtype=float) - random_return) / (expert_return - random_return)


def random_controller(env_id: str, seed: int = 0) -> Controller:
    """Uniformly random actions (the 'random' reference line in return plots)."""
    import gymnasium as gym

    seed = check_int("seed", seed, low=0)
    env_signature(env_id)  # a registered environment that can be made here, or InputError
    space = gym.make(env_id).action_space
    space.seed(seed)
    return lambda obs: np.stack([space.sample() for _ in range(len(obs))])


def episode_frames(
    policy: ActorCritic | Controller, env_id: str = "CartPole-v1", seed: int = 0, max_steps: int = 500
) -> tuple[list[np.ndarray], float]:
    """Render one greedy episode as ``rgb_array`` frames (offscreen); returns (frames, return)."""
    import gymnasium as gym

    env_signature(env_id)  # a registered environment that can be made here, or InputError
    act = as_controller(policy, env_id=env_id)
    seed = check_int("seed", seed, low=0)
    max_steps = check_int("max_steps", max_steps, low=1)
    # render offscreen, no sound: without these SDL prints "XDG_RUNTIME_DIR is invalid" on headless machines
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    env = gym.make(env_id, render_mode="rgb_array")
    try:
        obs, _ = env.reset(seed=seed)
        frames, total = [env.render()], 0.0
        for _ in range(max_steps):
            action = act(np.asarray(obs, dtype=np.float32)[None])[0]
            obs, reward, term, trunc, _ = env.step(action)
            total += float(reward)
            frames.append(env.render())
            if term or trunc:
                break
    finally:
        env.close()
    return frames, total
