"""Running a controller for whole episodes: evaluation returns and recorded trajectories."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gail_helpers.envs import make_vector_env
from gail_helpers.policies import ActorCritic

Controller = Callable[[np.ndarray], np.ndarray]
"""Anything mapping a batch of observations [N, obs_dim] to a batch of env actions."""


@dataclass
class EpisodeBatch:
    """Whole episodes: per-episode returns, and each episode's observations and actions."""

    returns: np.ndarray
    observations: list[np.ndarray]
    actions: list[np.ndarray]

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


def as_controller(policy: ActorCritic | Controller, deterministic: bool = True) -> Controller:
    """A policy network becomes ``obs -> actions``; other controllers pass through."""
    if isinstance(policy, ActorCritic):
        return lambda obs: policy.predict(obs, deterministic=deterministic)
    return policy


def run_episodes(
    policy: ActorCritic | Controller,
    env_id: str = "CartPole-v1",
    episodes: int = 10,
    seed: int = 10_000,
    deterministic: bool = True,
) -> EpisodeBatch:
    """Run ``episodes`` episodes in parallel (one per env copy, seeds seed..seed+episodes-1).

    A policy network acts greedily unless ``deterministic=False``.  Each copy's first
    episode is recorded; the loop ends when every copy has finished one.
    """
    if episodes < 1:
        raise ValueError(f"episodes = {episodes}: allowed is 1 or more")
    act = as_controller(policy, deterministic)
    envs = make_vector_env(env_id, episodes, seed)
    try:
        obs, _ = envs.reset(seed=seed)
        finished = np.zeros(episodes, dtype=bool)
        returns = np.zeros(episodes)
        obs_log: list[list[np.ndarray]] = [[] for _ in range(episodes)]
        act_log: list[list[np.ndarray]] = [[] for _ in range(episodes)]
        while not finished.all():
            actions = act(np.asarray(obs, dtype=np.float32))
            next_obs, reward, term, trunc, _ = envs.step(actions)
            for i in np.flatnonzero(~finished):
                obs_log[i].append(obs[i])
                act_log[i].append(actions[i])
            returns[~finished] += reward[~finished]
            finished |= np.logical_or(term, trunc)
            obs = next_obs
    finally:
        envs.close()
    return EpisodeBatch(
        returns=returns,
        observations=[np.asarray(o, dtype=np.float32) for o in obs_log],
        actions=[np.asarray(a) for a in act_log],
    )


def random_controller(env_id: str, seed: int = 0) -> Controller:
    """Uniformly random actions (the 'random' reference line in return plots)."""
    import gymnasium as gym

    space = gym.make(env_id).action_space
    space.seed(seed)
    return lambda obs: np.stack([space.sample() for _ in range(len(obs))])


def episode_frames(
    policy: ActorCritic | Controller, env_id: str = "CartPole-v1", seed: int = 0, max_steps: int = 500
) -> tuple[list[np.ndarray], float]:
    """Render one greedy episode as ``rgb_array`` frames (offscreen); returns (frames, return)."""
    import gymnasium as gym

    act = as_controller(policy)
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
