"""Vectorised gymnasium environments.

``make_vector_env`` uses an environment's native vectorised implementation where gymnasium has
one (CartPole-v1 steps all copies in one numpy call) and falls back to ``SyncVectorEnv``.

All gymnasium >= 1.0 vector envs here use *next-step* autoreset: after an episode ends the
env returns its final observation; the *next* ``step`` call ignores the action, resets that copy
and returns the first observation of the new episode with reward 0.  :mod:`gail_helpers.rollout`
marks those reset steps as invalid transitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.envs.classic_control.cartpole import CartPoleEnv, CartPoleVectorEnv
from gymnasium.envs.classic_control.mountain_car import MountainCarEnv
from gymnasium.vector import AutoresetMode, VectorEnv
from torch import nn

from gail_helpers.checks import as_float_array, check_bool, check_int, shown
from gail_helpers.errors import InputError

FIXED_HORIZON_CARTPOLE = "CartPoleFixedHorizon-v0"
SCALED_MOUNTAINCAR = "MountainCarScaled-v0"


@dataclass(frozen=True)
class ActionSpec:
    """What actions look like: ``n`` choices (discrete) or an ``n``-dimensional box (continuous)."""

    discrete: bool
    n: int
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "discrete", check_bool("ActionSpec.discrete", self.discrete))
        object.__setattr__(self, "n", check_int("ActionSpec.n", self.n, low=1))
        for name in ("low", "high"):
            value = as_float_array(f"ActionSpec.{name}", getattr(self, name))
            if value.shape != ((0,) if self.discrete else (self.n,)) or np.isnan(value).any():
                allowed = "empty for discrete actions" if self.discrete else f"{self.n} numbers, one per dimension"
                raise InputError(f"ActionSpec.{name} must be {allowed}, got {shown(getattr(self, name))}")
            object.__setattr__(self, name, tuple(float(v) for v in value))
        if any(lo > hi for lo, hi in zip(self.low, self.high, strict=True)):
            raise InputError(f"ActionSpec.low must be <= high in every dimension, got {self.low} and {self.high}")

    @classmethod
    def from_space(cls, space: spaces.Space) -> ActionSpec:
        """Read the spec of a gymnasium ``Discrete`` or 1-D ``Box`` action space."""
        if isinstance(space, spaces.Discrete):
            return cls(discrete=True, n=int(space.n))
        if isinstance(space, spaces.Box) and len(space.shape) == 1:
            return cls(
                discrete=False,
                n=int(space.shape[0]),
                low=tuple(float(v) for v in space.low),
                high=tuple(float(v) for v in space.high),
            )
        raise InputError(f"unsupported action space {space}: allowed are Discrete and 1-D Box")

    @property
    def torch_dtype(self) -> torch.dtype:
        """int64 class indices for discrete actions, float32 vectors for continuous ones."""
        return torch.int64 if self.discrete else torch.float32

    def encode(self, actions: torch.Tensor) -> torch.Tensor:
        """Actions as network input: one-hot for discrete; continuous ones clipped to the box.

        Clipped as the environment applies them, a = clip(a, low, high): a Gaussian policy's
        samples leave the box, an expert's recorded actions never do (they were clipped before
        ``env.step``), and a discriminator fed the raw samples would tell learner from expert by
        the range alone (|a| > 2 on Pendulum-v1 is never the expert's) instead of by behaviour.
        """
        if self.discrete:
            return nn.functional.one_hot(actions.long(), self.n).float()
        return torch.clamp(actions.float(), torch.tensor(self.low), torch.tensor(self.high))

    @property
    def encoded_dim(self) -> int:
        """Width of :meth:`encode`'s output."""
        return self.n


def make_vector_env(env_id: str, num_envs: int, seed: int, render_mode: str | None = None) -> VectorEnv:
    """``num_envs`` copies of ``env_id``, reset with ``seed`` (copy i gets seed + i)."""
    num_envs = check_int("num_envs", num_envs, low=1)
    seed = check_int("seed", seed, low=0)
    if render_mode is not None and not isinstance(render_mode, str):
        raise InputError(f"render_mode must be None or a str such as 'rgb_array', got {shown(render_mode)}")
    spec = _registered(env_id)
    mode = "vector_entry_point" if spec.vector_entry_point is not None else "sync"
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, render_mode=render_mode)
    autoreset = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if autoreset != AutoresetMode.NEXT_STEP:
        raise InputError(f"{env_id} uses autoreset mode {autoreset}; rollouts here expect NEXT_STEP")
    envs.reset(seed=seed)
    return envs


def _registered(env_id: str) -> gym.envs.registration.EnvSpec:
    if not isinstance(env_id, str):
        raise InputError(f"env_id must be a gymnasium environment's name such as 'CartPole-v1', got {shown(env_id)}")
    try:
        return gym.spec(env_id)
    except gym.error.Error as exc:
        raise InputError(f"unknown environment {env_id!r}: {exc}") from exc


def env_signature(env_id: str) -> tuple[int, ActionSpec]:
    """(observation size, action spec) of ``env_id``; observations must be 1-D boxes."""
    spec = _registered(env_id)
    try:
        env = gym.make(spec)
    except gym.error.Error as exc:  # e.g. a missing optional dependency (Box2D, MuJoCo)
        raise InputError(f"environment {env_id!r} cannot be made here: {exc}") from exc
    try:
        obs_space = env.observation_space
        if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
            raise InputError(f"{env_id} has observation space {obs_space}: allowed is a 1-D Box")
        return int(obs_space.shape[0]), ActionSpec.from_space(env.action_space)
    finally:
        env.close()


class FixedHorizonCartPoleEnv(CartPoleEnv):
    """CartPole in which the pole falling does not end the episode: every episode lasts 500 steps.

    The reward is 1 per step until the pole first falls (so the return counts the steps balanced,
    as in CartPole-v1) and 0 afterwards.  A learner no longer lives longer by staying up, so a
    reward that is positive on every step, like -log(1 - D), cannot pay for mere survival.
    """

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode=render_mode)
        # after a fall the cart and pole leave CartPole-v1's bounds: widen the space
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.fallen = False

    def reset(self, **kwargs):
        """Start a new episode with the pole up."""
        self.fallen = False
        return super().reset(**kwargs)

    def step(self, action):
        """One step; ``terminated`` is always False, truncation comes from the time limit."""
        obs, _, out_of_bounds, truncated, info = super().step(action)
        self.steps_beyond_terminated = None  # stepping on after a fall is the point here
        reward = 0.0 if self.fallen else 1.0
        self.fallen = self.fallen or out_of_bounds
        return obs, reward, False, truncated, info


class FixedHorizonCartPoleVectorEnv(CartPoleVectorEnv):
    """The vectorised twin of :class:`FixedHorizonCartPoleEnv` (native numpy, like CartPole-v1's)."""

    def __init__(self, num_envs: int = 1, max_episode_steps: int = 500, render_mode: str | None = None) -> None:
        super().__init__(num_envs=num_envs, max_episode_steps=max_episode_steps, render_mode=render_mode)
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.fallen = np.zeros(num_envs, dtype=bool)

    def reset(self, **kwargs):
        """Reset every copy with the pole up."""
        self.fallen = np.zeros(self.num_envs, dtype=bool)
        return super().reset(**kwargs)

    def step(self, action):
        """One step of every copy; only the time limit ends an episode."""
        starting = self.prev_done.copy()  # copies that reset on this step (next-step autoreset)
        obs, reward, out_of_bounds, truncated, info = super().step(action)
        self.fallen[starting] = False
        reward = np.where(self.fallen | starting, 0.0, reward).astype(np.float32)
        self.fallen |= out_of_bounds & ~starting
        self.prev_done = truncated.copy()
        return obs, reward, np.zeros_like(out_of_bounds), truncated, info


if FIXED_HORIZON_CARTPOLE not in gym.registry:
    gym.register(
        id=FIXED_HORIZON_CARTPOLE,
        entry_point=FixedHorizonCartPoleEnv,
        vector_entry_point=FixedHorizonCartPoleVectorEnv,
        max_episode_steps=500,
    )


class ScaledMountainCarEnv(MountainCarEnv):
    """MountainCar-v0 with its observations rescaled to [-1, 1]: the same car, hill, reward and time limit.

    MountainCar-v0 observes the position x in [-1.2, 0.6] and the velocity v in [-0.07, 0.07].  The
    velocity says which way to push, but at that scale a network's first layer barely sees it, and
    neither the policy nor GAIL's discriminator learns to use it quickly (NOTES.md, 2026-12-01: GAIL
    with log D first reached the flag after 50 000 to 60 000 env steps on the raw observations, after
    10 000 to 15 000 on these).  Each observation o becomes (o - centre) / half_width of the box, what RL libraries'
    observation normalisation does, here with the fixed bounds the environment declares.
    """

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode=render_mode)
        self.centre = (self.high + self.low) / 2
        self.half_width = (self.high - self.low) / 2
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)

    def scale(self, obs: np.ndarray) -> np.ndarray:
        """(x, v) -> ((x - centre) / half_width), each in [-1, 1]."""
        return np.clip((obs - self.centre) / self.half_width, -1.0, 1.0).astype(np.float32)

    def reset(self, **kwargs) -> tuple[np.ndarray, dict]:
        """Start a new episode (MountainCar-v0's start states), observed rescaled."""
        obs, info = super().reset(**kwargs)
        return self.scale(obs), info

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        """One step of MountainCar-v0, observed rescaled."""
        obs, reward, terminated, truncated, info = super().step(action)
        return self.scale(obs), reward, terminated, truncated, info


if SCALED_MOUNTAINCAR not in gym.registry:
    gym.register(id=SCALED_MOUNTAINCAR, entry_point=ScaledMountainCarEnv, max_episode_steps=200,
                 reward_threshold=-110.0)


class ChangedCartPoleEnv(CartPoleEnv):
    """CartPole-v1 with other physics or starts: pole half-length ``length`` (0.5), pole mass
    ``masspole`` (0.1), push force ``force_mag`` (10.0), and the cart starting anywhere in
    [-``start_x``, ``start_x``] (0.05).  The task, limits and reward are CartPole-v1's."""

    def __init__(self, render_mode: str | None = None, length: float = 0.5, masspole: float = 0.1,
                 force_mag: float = 10.0, start_x: float = 0.05) -> None:
        super().__init__(render_mode=render_mode)
        _set_physics(self, length, masspole, force_mag)
        self.start_x = start_x

    def reset(self, **kwargs):
        """A new episode; the cart starts at x ~ U(-start_x, start_x)."""
        _, info = super().reset(**kwargs)
        self.state[0] = self.np_random.uniform(-self.start_x, self.start_x)
        return np.array(self.state, dtype=np.float32), info


class ChangedCartPoleVectorEnv(CartPoleVectorEnv):
    """The vectorised twin of :class:`ChangedCartPoleEnv` (native numpy, like CartPole-v1's)."""

    def __init__(self, num_envs: int = 1, max_episode_steps: int = 500, render_mode: str | None = None,
                 length: float = 0.5, masspole: float = 0.1, force_mag: float = 10.0, start_x: float = 0.05) -> None:
        super().__init__(num_envs=num_envs, max_episode_steps=max_episode_steps, render_mode=render_mode)
        _set_physics(self, length, masspole, force_mag)
        self.start_x = start_x

    def reset(self, **kwargs):
        """Reset every copy; each cart starts at x ~ U(-start_x, start_x), also on autoresets."""
        super().reset(**kwargs)
        # per-dimension start bounds [4, 1]: step() draws autoresets from the same ones
        self.low = np.array([[-self.start_x], [-0.05], [-0.05], [-0.05]])
        self.high = -self.low
        self.state = self.np_random.uniform(low=self.low, high=self.high, size=(4, self.num_envs))
        return self.state.T.astype(np.float32), {}


def _set_physics(env: CartPoleEnv | CartPoleVectorEnv, length: float, masspole: float, force_mag: float) -> None:
    """Set the pole's half-length and mass and the push force, and the quantities derived from them."""
    env.length, env.masspole, env.force_mag = length, masspole, force_mag
    env.total_mass = env.masspole + env.masscart
    env.polemass_length = env.masspole * env.length


CHANGED_CARTPOLES = {
    "CartPoleWideStart-v0": {"start_x": 1.5},
    "CartPoleLongPole-v0": {"length": 1.0},
    "CartPoleWeakPush-v0": {"force_mag": 5.0},
    "CartPoleHeavyPole-v0": {"masspole": 0.5},
    "CartPoleReversedPush-v0": {"force_mag": -10.0},
}
"""CartPole-v1 with other starts or dynamics, for notebook 08: env id -> what changed."""

for _env_id, _changes in CHANGED_CARTPOLES.items():
    if _env_id not in gym.registry:
        gym.register(id=_env_id, entry_point=ChangedCartPoleEnv, vector_entry_point=ChangedCartPoleVectorEnv,
                     max_episode_steps=500, kwargs=_changes)
