"""The actor-critic used by PPO, behaviour cloning and GAIL, for S seeds at once.

The actor gives a distribution over actions, pi(a|s): categorical for discrete actions,
a diagonal Gaussian for continuous ones.  The critic estimates the state value V(s).
Every tensor carries the seed axis first: observations [S, B, obs_dim] give logits [S, B, A]
and values [S, B]; seed s's numbers come from seed s's networks only (:mod:`gail_helpers.networks`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, Distribution, Independent, Normal

from gail_helpers.checks import as_float_array, check_instance, check_int, check_seeds, shown
from gail_helpers.envs import ActionSpec, env_signature
from gail_helpers.errors import DataFileError, InputError
from gail_helpers.files import file_to_write, load_weights, save_weights
from gail_helpers.networks import mlp, take_seed
from gail_helpers.seeding import generators


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs (two tanh layers of ``hidden_size`` units), one pair per seed."""

    def __init__(self, obs_dim: int, action_spec: ActionSpec, hidden_size: int = 64, seeds: list[int] = (0,)) -> None:
        super().__init__()
        self.obs_dim = check_int("obs_dim", obs_dim, low=1)
        self.action_spec = check_instance("action_spec", action_spec, ActionSpec, "see ActionSpec.from_space")
        self.hidden_size = check_int("hidden_size", hidden_size, low=1)
        self.seeds = check_seeds("seeds", seeds)
        init = generators(self.seeds, "policy_init")
        self.actor = mlp(obs_dim, action_spec.n, init, hidden_size, out_gain=0.01)
        self.critic = mlp(obs_dim, 1, init, hidden_size, out_gain=1.0)
        if not action_spec.discrete:
            # state-independent log standard deviation, learned, per seed
            self.log_std = nn.Parameter(torch.zeros(len(self.seeds), 1, action_spec.n))

    @property
    def num_seeds(self) -> int:
        """S, the number of seeds this module holds."""
        return len(self.seeds)

    def distribution(self, obs: torch.Tensor) -> Distribution:
        """pi(.|s) for obs [S, B, obs_dim]: Categorical(logits) or Normal(mean, exp(log_std)) over dimensions."""
        out = self.actor(obs)
        # validate_args=False: the inputs come from this network; checking them costs ~40% of a step
        if self.action_spec.discrete:
            return Categorical(logits=out, validate_args=False)
        std = self.log_std.exp().expand_as(out)
        return Independent(Normal(out, std, validate_args=False), 1, validate_args=False)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """V(s), shape [S, B]."""
        return self.critic(obs).squeeze(-1)

    @torch.no_grad()
    def act(
        self, obs: torch.Tensor, noise: list[torch.Generator] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample an action with each seed's ``noise`` generator, or take the most likely one
        (``noise=None``); return (action, log pi(a|s), V(s))."""
        dist = self.distribution(obs)
        action = dist.mode if noise is None else sample(dist, noise)
        return action, dist.log_prob(action), self.value(obs)

    @torch.no_grad()
    def greedy(self, obs: torch.Tensor) -> torch.Tensor:
        """The most likely action under pi(.|s) (a Gaussian's mean) for obs [S, B, obs_dim]: what
        evaluation runs.  ``act(obs)`` gives the same action, and also log pi(a|s) and V(s)."""
        return self.distribution(obs).mode

    def evaluate(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log pi(a|s), entropy of pi(.|s), V(s)) for given pairs, with gradients; each [S, B]."""
        dist = self.distribution(obs)
        return dist.log_prob(actions), dist.entropy(), self.value(obs)

    def predict(self, obs: np.ndarray, noise: list[torch.Generator] | None = None) -> np.ndarray:
        """One seed's actions, numpy in [B, obs_dim], numpy out [B, ...], ready for ``env.step``:
        greedy, or sampled with the generator in ``noise`` (a list of one)."""
        if self.num_seeds != 1:
            raise InputError(
                f"this policy holds {self.num_seeds} seeds {self.seeds}: take one with policy.seed_policy(i)"
            )
        obs = as_float_array("obs", obs)
        if obs.ndim != 2 or obs.shape[1] != self.obs_dim or not np.isfinite(obs).all():
            hint = " (one observation o: pass o[None])" if obs.shape == (self.obs_dim,) else ""
            raise InputError(f"obs must be a finite array [batch, {self.obs_dim}]{hint}, got {shown(obs)}")
        obs = torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0)
        action = self.greedy(obs) if noise is None else self.act(obs, noise)[0]
        return to_env_action(action[0], self.action_spec)

    def check_env(self, env_id: str, name: str = "policy") -> None:
        """Raise :class:`InputError` unless this policy's observations and actions are ``env_id``'s."""
        obs_dim, spec = env_signature(env_id)
        if (self.obs_dim, self.action_spec) != (obs_dim, spec):
            raise InputError(
                f"{name} does not fit {env_id}: it takes {self.obs_dim} observation values and gives "
                f"{describe_actions(self.action_spec)}; {env_id} has {obs_dim} and {describe_actions(spec)}"
            )

    def seed_policy(self, index: int) -> ActorCritic:
        """A one-seed copy of seed number ``index`` (0 .. S-1), to evaluate, animate or save."""
        state = take_seed(self, index)
        single = ActorCritic(self.obs_dim, self.action_spec, self.hidden_size, [self.seeds[index]])
        single.load_state_dict(state)
        return single.eval()


def sample(dist: Distribution, noise: list[torch.Generator]) -> torch.Tensor:
    """Draw one action per row of ``dist`` (batch [S, B]) with seed s's draws from ``noise[s]``.

    Discrete: the Gumbel-max trick, argmax_a (logit_a + G_a) with G = -log(-log U), U uniform,
    is a sample of Categorical(logits).  Continuous: mean + std * N(0, 1).
    """
    if isinstance(dist, Categorical):
        shape = dist.logits.shape[1:]
        u = torch.stack([torch.rand(shape, generator=g) for g in noise])
        return (dist.logits - torch.log(-torch.log(u))).argmax(-1)
    normal = dist.base_dist
    shape = normal.loc.shape[1:]
    z = torch.stack([torch.randn(shape, generator=g) for g in noise])
    return normal.loc + normal.scale * z


def describe_actions(spec: ActionSpec) -> str:
    """'2 discrete actions' or '1-D continuous actions in [-2.0, 2.0]', for messages."""
    if spec.discrete:
        return f"{spec.n} discrete actions"
    return f"{spec.n}-D continuous actions in {list(spec.low)}..{list(spec.high)}"


def to_env_action(action: torch.Tensor, spec: ActionSpec) -> np.ndarray:
    """Convert actions to what the env accepts (clip continuous ones to the box)."""
    a = action.numpy()
    if spec.discrete:
        return a.astype(np.int64)
    return np.clip(a, np.asarray(spec.low), np.asarray(spec.high)).astype(np.float32)


def save_policy(policy: ActorCritic, path: str | Path, **info: object) -> None:
    """Write ``path`` (a ``.pt`` file: a plain state_dict) and beside it ``.json`` metadata
    (architecture, seeds and ``info``: JSON values, numpy numbers and arrays too).  Each file is
    written whole or not at all, and nothing is written unless both can be."""
    check_instance("policy", policy, ActorCritic)
    path = file_to_write("path", path, ".pt", "save_policy")
    meta = {
        "obs_dim": policy.obs_dim,
        "hidden_size": policy.hidden_size,
        "seeds": policy.seeds,
        "action_spec": asdict(policy.action_spec),
        **info,
    }
    save_weights(policy.state_dict(), path, meta, "save_policy")


def load_policy(path: str | Path) -> tuple[ActorCritic, dict]:
    """Load a policy written by :func:`save_policy`; returns (policy, its metadata).

    Weights are read with ``torch.load(weights_only=True)``: tensors only, no pickled code.
    """
    state, meta = load_weights(path, "policy", "load_policy", "save_policy")
    meta_path = Path(path).with_suffix(".json")
    try:
        spec = ActionSpec(**meta["action_spec"])
        obs_dim = check_int("obs_dim", meta["obs_dim"], low=1)
        hidden = check_int("hidden_size", meta["hidden_size"], low=1)
        seeds = check_seeds("seeds", meta["seeds"])
    except (ValueError, KeyError, TypeError) as exc:  # InputError is a ValueError
        raise DataFileError(f"{meta_path} is not policy metadata written by save_policy: {exc!r}") from exc
    first = state.get("actor.0.weight")
    expected = (len(seeds), obs_dim, hidden)
    if first is None or tuple(first.shape) != expected:  # checked before building: a huge obs_dim allocates nothing
        got = "no such weight" if first is None else f"the file has {tuple(first.shape)}"
        raise DataFileError(f"{path} does not fit the architecture in {meta_path.name}: size mismatch for "
                            f"actor.0.weight: {got}, the metadata asks for {expected} (seeds, obs_dim, hidden_size)")
    policy = ActorCritic(obs_dim, spec, hidden, seeds)
    try:
        policy.load_state_dict(state)
    except RuntimeError as exc:
        raise DataFileError(f"{path} does not fit the architecture in {meta_path.name}: {exc}") from exc
    policy.eval()
    return policy, meta
