"""Vectorised gymnasium environments.

``make_vector_env`` uses an environment's native vectorised implementation where gymnasium has
one (CartPole-v1 steps all copies in one numpy call) and falls back to ``SyncVectorEnv``.

All gymnasium >= 1.0 vector envs here use *next-step* autoreset: after an episode ends the
env returns its final observation; the *next* ``step`` call ignores the action, resets that copy
and returns the first observation of the new episode with reward 0.  :mod:`gail_helpers.rollout`
marks those reset steps as invalid transitions.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from gail_helpers.policies import ActionSpec


def make_vector_env(env_id: str, num_envs: int, seed: int, render_mode: str | None = None) -> VectorEnv:
    """``num_envs`` copies of ``env_id``, reset with ``seed`` (copy i gets seed + i)."""
    if num_envs < 1:
        raise ValueError(f"num_envs = {num_envs}: allowed is 1 or more")
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"unknown environment {env_id!r}: {exc}") from exc
    mode = "vector_entry_point" if spec.vector_entry_point is not None else "sync"
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, render_mode=render_mode)
    autoreset = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if autoreset != AutoresetMode.NEXT_STEP:
        raise ValueError(f"{env_id} uses autoreset mode {autoreset}; rollouts here expect NEXT_STEP")
    envs.reset(seed=seed)
    return envs


def env_signature(env_id: str) -> tuple[int, ActionSpec]:
    """(observation size, action spec) of ``env_id``; observations must be 1-D boxes."""
    env = gym.make(env_id)
    try:
        obs_space = env.observation_space
        if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
            raise ValueError(f"{env_id} has observation space {obs_space}: allowed is a 1-D Box")
        return int(obs_space.shape[0]), ActionSpec.from_space(env.action_space)
    finally:
        env.close()


def obs_array(obs: np.ndarray) -> np.ndarray:
    """Observations as contiguous float32, the dtype every network here takes."""
    return np.ascontiguousarray(obs, dtype=np.float32)
