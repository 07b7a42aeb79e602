"""The actor-critic used by PPO, behaviour cloning and GAIL.

The actor gives a distribution over actions, pi(a|s): categorical for discrete actions,
a diagonal Gaussian for continuous ones.  The critic estimates the state value V(s).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.distributions import Categorical, Distribution, Independent, Normal

from gail_helpers.errors import DataFileError
from gail_helpers.networks import mlp


@dataclass(frozen=True)
class ActionSpec:
    """What actions look like: ``n`` choices (discrete) or an ``n``-dimensional box (continuous)."""

    discrete: bool
    n: int
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

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
        raise ValueError(f"unsupported action space {space}: allowed are Discrete and 1-D Box")

    @property
    def torch_dtype(self) -> torch.dtype:
        """int64 class indices for discrete actions, float32 vectors for continuous ones."""
        return torch.int64 if self.discrete else torch.float32

    def encode(self, actions: torch.Tensor) -> torch.Tensor:
        """Actions as network input: one-hot for discrete, unchanged for continuous."""
        if self.discrete:
            return nn.functional.one_hot(actions.long(), self.n).float()
        return actions.float()

    @property
    def encoded_dim(self) -> int:
        """Width of :meth:`encode`'s output."""
        return self.n


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs (two tanh layers of ``hidden_size`` units each)."""

    def __init__(self, obs_dim: int, action_spec: ActionSpec, hidden_size: int = 64) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.action_spec = action_spec
        self.hidden_size = hidden_size
        self.actor = mlp(obs_dim, action_spec.n, hidden_size, out_gain=0.01)
        self.critic = mlp(obs_dim, 1, hidden_size, out_gain=1.0)
        if not action_spec.discrete:
            # state-independent log standard deviation, learned
            self.log_std = nn.Parameter(torch.zeros(action_spec.n))

    def distribution(self, obs: torch.Tensor) -> Distribution:
        """pi(.|s): Categorical(logits) or Normal(mean, exp(log_std)) summed over dimensions."""
        out = self.actor(obs)
        # validate_args=False: the inputs come from this network; checking them costs ~40% of a step
        if self.action_spec.discrete:
            return Categorical(logits=out, validate_args=False)
        std = self.log_std.exp().expand_as(out)
        return Independent(Normal(out, std, validate_args=False), 1, validate_args=False)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """V(s), shape [batch]."""
        return self.critic(obs).squeeze(-1)

    @torch.no_grad()
    def act(self, obs: torch.Tensor, deterministic: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample (or take the most likely) action; return (action, log pi(a|s), V(s))."""
        dist = self.distribution(obs)
        action = dist.mode if deterministic else dist.sample()
        return action, dist.log_prob(action), self.value(obs)

    def evaluate(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log pi(a|s), entropy of pi(.|s), V(s)) for given pairs, with gradients."""
        dist = self.distribution(obs)
        return dist.log_prob(actions), dist.entropy(), self.value(obs)

    def predict(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Numpy in, numpy out: actions ready for ``env.step`` (continuous ones clipped)."""
        action, _, _ = self.act(torch.as_tensor(obs, dtype=torch.float32), deterministic)
        return to_env_action(action, self.action_spec)


def to_env_action(action: torch.Tensor, spec: ActionSpec) -> np.ndarray:
    """Convert sampled actions to what the env accepts (clip continuous ones to the box)."""
    a = action.numpy()
    if spec.discrete:
        return a.astype(np.int64)
    return np.clip(a, np.asarray(spec.low), np.asarray(spec.high)).astype(np.float32)


def save_policy(policy: ActorCritic, path: str | Path, **info: object) -> None:
    """Write ``path`` (.pt, a plain state_dict) and ``path.json`` (architecture + ``info``)."""
    path = Path(path)
    torch.save(policy.state_dict(), path)
    meta = {
        "obs_dim": policy.obs_dim,
        "hidden_size": policy.hidden_size,
        "action_spec": asdict(policy.action_spec),
        **info,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load_policy(path: str | Path) -> tuple[ActorCritic, dict]:
    """Load a policy written by :func:`save_policy`; returns (policy, its metadata).

    Weights are read with ``torch.load(weights_only=True)``: tensors only, no pickled code.
    """
    path = Path(path)
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise DataFileError(f"policy file {p} is missing: save_policy writes both {path.name} and {meta_path.name}")
    try:
        meta = json.loads(meta_path.read_text())
        spec = ActionSpec(**{**meta["action_spec"], "low": tuple(meta["action_spec"]["low"]),
                             "high": tuple(meta["action_spec"]["high"])})
        policy = ActorCritic(int(meta["obs_dim"]), spec, int(meta["hidden_size"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{meta_path} is not policy metadata written by save_policy: {exc!r}") from exc
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises several types for corrupt or pickled-code files
        raise DataFileError(
            f"{path} is not a plain-tensor state_dict, so it is refused (loaded with weights_only=True); "
            "regenerate the shipped expert with `python -m gail_helpers.experts`"
        ) from exc
    if not isinstance(state, dict):
        raise DataFileError(f"{path} holds a {type(state).__name__}, expected a state_dict")
    try:
        policy.load_state_dict(state)
    except RuntimeError as exc:
        raise DataFileError(f"{path} does not fit the architecture in {meta_path.name}: {exc}") from exc
    policy.eval()
    return policy, meta
