"""AIRL: adversarial inverse reinforcement learning (Fu, Luo & Levine, 2018).

GAIL's D(s, a) is a free-form classifier: at the end it is 1/2 everywhere and no reward to reuse.
AIRL gives D a structure from which a reward can be read off.  For a transition (s, a, s')

    f(s, a, s') = g(s) + gamma * h(s') - h(s)          g: the reward, h: a shaping potential
    D(s, a, s') = exp f / (exp f + pi(a|s))

so D's logit is l = f - log pi(a|s).  D is trained exactly like GAIL's (the binary cross-entropy
of :func:`gail_helpers.discriminator.classification_loss`, expert transitions against the
policy's), and the learner's reward is log D - log(1 - D) = f - log pi(a|s): the logit.

At the optimum f recovers the expert's advantage, g the reward up to a constant (for a
state-only g and deterministic dynamics) and h the value function.  ``g`` alone can train a
fresh learner: :func:`learned_reward` exports it, :class:`StateRewardModel` trains PPO on it.

Terminal states (Kostrikov et al. 2019).  An episode that *terminates* (the pole fell) does not
just stop: it enters an absorbing state s_abs and stays there forever.  s_abs is a state like
any other, with its own learned reward g(s_abs) and potential h(s_abs), one number each.  D sees
the step into it, f = g(s) + gamma h(s_abs) - h(s), and the self-loops s_abs -> s_abs, where there
is nothing to choose (pi = 1):

    f(s_abs, ., s_abs) = g(s_abs) + gamma h(s_abs) - h(s_abs)

The learner's return after terminating is that reward forever, sum_k>=1 gamma^k r_abs =
gamma r_abs / (1 - gamma), added to the terminated step (GAE bootstraps nothing after it).
Without it an episode's end would be worth exactly 0, so a reward that is negative where the
learner stands would pay it to end its episodes at once (notebook 06's lesson, reversed).  A
*truncated* step (the time limit) did not end the task: it keeps gamma h(s') with s' its final
observation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gail_helpers.checks import as_float_array, check_instance, check_int, check_seeds, shown
from gail_helpers.config import AIRLConfig, PPOConfig
from gail_helpers.demonstrations import LOAD_HINT, Demonstrations
from gail_helpers.discriminator import DiscriminatorTrainer, classification_loss
from gail_helpers.envs import env_signature
from gail_helpers.errors import ConfigError, DataFileError, DemonstrationError, InputError
from gail_helpers.files import file_to_write, load_weights, save_weights
from gail_helpers.networks import mlp, take_seed
from gail_helpers.policies import ActorCritic
from gail_helpers.rollout import Rollout
from gail_helpers.seed_axis import masked_mean
from gail_helpers.seeding import generators
from gail_helpers.training import Callback, TrainingResult, train_ppo

WIDE_START_CARTPOLE = "CartPoleWideStart-v0"
"""CartPole whose cart starts anywhere in [-1.5, 1.5]: AIRL's learner trains there, so that D sees
learner states all along the track and g is learned there too (notebook 08)."""


def _with_seed_axis(obs: torch.Tensor, num_seeds: int) -> torch.Tensor:
    """obs [B, obs_dim] (the same states for every seed) as [S, B, obs_dim]; [S, B, obs_dim] as it is."""
    return obs.expand(num_seeds, *obs.shape) if obs.dim() == 2 else obs


class StateReward(nn.Module):
    """A learned function of the state alone, one network per seed: the reward g(s) (or AIRL's potential h(s)).

    Its input is the observation and a flag that marks the absorbing state s_abs, which has no
    observation of its own: s_abs enters as (0, ..., 0, 1), every other state as (s, 0).
    """

    def __init__(
        self, obs_dim: int, hidden_size: int = 32, seeds: list[int] = (0,), stream: str = "reward_init"
    ) -> None:
        super().__init__()
        self.obs_dim = check_int("obs_dim", obs_dim, low=1)
        self.hidden_size = check_int("hidden_size", hidden_size, low=1)
        self.seeds = check_seeds("seeds", seeds)
        self.net = mlp(obs_dim + 1, 1, generators(self.seeds, stream), hidden_size)

    @property
    def num_seeds(self) -> int:
        """S, the number of seeds this module holds."""
        return len(self.seeds)

    def forward(self, obs: torch.Tensor, absorbing: torch.Tensor | None = None) -> torch.Tensor:
        """g(s) per seed, [S, B], for obs [S, B, obs_dim] (or [B, obs_dim]: the same states for every
        seed); rows flagged in ``absorbing`` ([S, B] bool) are s_abs whatever their obs."""
        obs = _with_seed_axis(obs, self.num_seeds)
        flag = torch.zeros(obs.shape[:-1], dtype=torch.bool) if absorbing is None else absorbing
        x = torch.cat([torch.where(flag.unsqueeze(-1), 0.0, obs), flag.unsqueeze(-1).float()], dim=-1)
        return self.net(x).squeeze(-1)

    def absorbing_value(self) -> torch.Tensor:
        """g(s_abs) per seed, [S]."""
        return self(torch.zeros(self.num_seeds, 1, self.obs_dim), torch.ones(self.num_seeds, 1, dtype=torch.bool))[:, 0]

    def single(self, index: int) -> StateReward:
        """A one-seed copy of seed number ``index`` (0 .. S-1)."""
        one = StateReward(self.obs_dim, self.hidden_size, [self.seeds[index]])
        one.load_state_dict(take_seed(self, index))
        return one.eval()

    def as_function(self, index: int = 0) -> Callable[[np.ndarray], np.ndarray]:
        """Seed ``index``'s g as a plain function: observations [N, obs_dim] (numpy) -> rewards [N]."""
        one = self.single(check_int("index", index, low=0, high=self.num_seeds - 1))

        def g(obs: np.ndarray) -> np.ndarray:
            obs = as_float_array("obs", obs)
            if obs.ndim != 2 or obs.shape[1] != one.obs_dim or not np.isfinite(obs).all():
                raise InputError(f"obs must be a finite array [batch, {one.obs_dim}], got {shown(obs)}")
            with torch.no_grad():
                return one(torch.as_tensor(obs, dtype=torch.float32))[0].numpy()

        return g


class AIRLDiscriminator(nn.Module):
    """D(s, a, s') = exp f / (exp f + pi(a|s)) with f = g(s) + gamma h(s') - h(s), per seed."""

    def __init__(self, obs_dim: int, hidden_size: int, gamma: float, seeds: list[int]) -> None:
        super().__init__()
        self.gamma = gamma
        self.seeds = list(seeds)
        self.g = StateReward(obs_dim, hidden_size, self.seeds)  # the reward
        self.h = StateReward(obs_dim, hidden_size, self.seeds, "potential_init")  # the shaping potential

    def f(self, transitions: dict[str, torch.Tensor]) -> torch.Tensor:
        """f(s, a, s') = g(s) + gamma h(s') - h(s), [S, B], for transitions [S, B, ...].

        s is the absorbing state on ``absorbing`` rows (its self-loops); s' is the absorbing state
        after a ``terminated`` step and on those rows.
        """
        obs, absorbing = transitions["obs"], transitions["absorbing"]
        to_absorbing = transitions["terminated"] | absorbing
        return (self.g(obs, absorbing) + self.gamma * self.h(transitions["next_obs"], to_absorbing)
                - self.h(obs, absorbing))

    def forward(self, transitions: dict[str, torch.Tensor], logprobs: torch.Tensor) -> torch.Tensor:
        """D's logit l = f(s, a, s') - log pi(a|s), [S, B], for transitions [S, B, ...] and log pi [S, B]
        (log pi = 0 on absorbing rows: there is nothing to choose)."""
        return self.f(transitions) - torch.where(transitions["absorbing"], 0.0, logprobs)

    def absorbing_tail(self) -> torch.Tensor:
        """What terminating is worth after the terminated step, per seed [S]: gamma r_abs / (1 - gamma)
        with r_abs = f(s_abs, ., s_abs) = g(s_abs) + gamma h(s_abs) - h(s_abs)."""
        r_abs = self.g.absorbing_value() + (self.gamma - 1) * self.h.absorbing_value()
        return self.gamma * r_abs / (1 - self.gamma)


def with_absorbing_rows(transitions: dict[str, torch.Tensor], count: int) -> dict[str, torch.Tensor]:
    """``transitions`` ([..., B, ...]) followed by ``count`` self-loops of the absorbing state, with an
    ``absorbing`` flag on every row.  Their obs, actions and next obs are zeros: f never reads them."""
    obs = transitions["obs"]
    lead = obs.shape[:-2]  # the seed axis, or nothing for the expert's shared transitions
    batch = obs.shape[-2]
    out = {}
    for name, x in transitions.items():
        filler = torch.zeros((*lead, count, *x.shape[len(lead) + 1:]), dtype=x.dtype)
        out[name] = torch.cat([x, filler], dim=len(lead))
    out["absorbing"] = torch.cat([torch.zeros((*lead, batch), dtype=torch.bool),
                                  torch.ones((*lead, count), dtype=torch.bool)], dim=len(lead))
    return out


class AIRLTrainer(DiscriminatorTrainer):
    """GAIL's discriminator training with AIRL's logits: the expert's log pi(a|s) comes from the
    current policy, the policy's from its rollout."""

    def __init__(self, disc: AIRLDiscriminator, expert: dict[str, torch.Tensor], policy: ActorCritic,
                 learning_rate: float, minibatch: int) -> None:
        super().__init__(disc, expert, learning_rate, minibatch)
        self.policy = policy

    def logits(
        self, expert: dict[str, torch.Tensor], policy: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """AIRL's logits f - log pi on expert transitions and on the policy's, [S, B] each."""
        with torch.no_grad():
            expert_logprobs = self.policy.evaluate(expert["obs"], expert["actions"])[0]  # 0 on absorbing rows
        return self.disc(expert, expert_logprobs), self.disc(policy, policy["logprobs"])

    def loss(
        self, expert: dict[str, torch.Tensor], policy: dict[str, torch.Tensor], valid: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The cross-entropy of AIRL's logits: expert transitions labelled 1, the policy's 0."""
        return classification_loss(*self.logits(expert, policy), valid)


class AIRLRewardModel:
    """Trains AIRL's discriminator on each rollout, then relabels its rewards with f - log pi."""

    def __init__(self, trainer: AIRLTrainer, config: AIRLConfig) -> None:
        self.trainer = trainer
        self.config = config

    @property
    def discriminator(self) -> AIRLDiscriminator:
        """D (with its g and h), for every seed."""
        return self.trainer.disc

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """D update(s) on the rollout's transitions, then r = log D - log(1 - D) = f - log pi for every
        step, plus the absorbing state's tail on terminated steps; rewards [T, S, N]."""
        names = ("obs", "actions", "next_obs", "terminated", "logprobs")
        steps = {k: rollout.per_seed(k) for k in names}  # [S, T * N, ...]
        valid, terminated = rollout.per_seed("valid"), steps["terminated"]
        # one absorbing self-loop per terminated step: a row for every step, masked out unless that
        # step terminated, so every seed's batch has the same size whatever the others did
        transitions = with_absorbing_rows(steps, terminated.shape[1])
        mask = torch.cat([valid, valid & terminated], dim=1)
        self.trainer.update(transitions, mask, self.config.disc_updates)
        stats, logits = self.trainer.measure(transitions, mask)  # D's logits f - log pi, on every row
        with torch.no_grad():
            tail = self.discriminator.absorbing_tail().unsqueeze(-1)
            rewards = logits[:, : valid.shape[1]] + terminated.float() * tail  # the rollout's own steps
            g = self.discriminator.g
            stats.update(g_policy=masked_mean(valid)(g(steps["obs"])), g_absorbing=g.absorbing_value())
        horizon, seeds, envs = rollout.rewards.shape
        return rewards.view(seeds, horizon, envs).transpose(0, 1) * rollout.valid, stats


def train_airl(
    demos: Demonstrations,
    config: AIRLConfig | None = None,
    env_id: str | None = None,
    *,
    callback: Callback | None = None,
    progress: bool = True,
    same_env_id: bool = True,
) -> TrainingResult:
    """Train fresh PPO learners and AIRL discriminators, one of each per seed in ``config.ppo.seeds``,
    from ``demos`` (which must say how their episodes ended: format 2) on ``env_id`` (default: theirs).

    ``same_env_id=False`` lets demonstrations recorded on one env id train on another with the same
    spaces (the fixed-horizon CartPole).  The learned rewards: ``learned_reward(result)``.
    """
    config = AIRLConfig() if config is None else config
    if not isinstance(config, AIRLConfig):
        raise ConfigError(f"train_airl needs an AIRLConfig, got {type(config).__name__}")
    check_instance("demos", demos, Demonstrations, LOAD_HINT, DemonstrationError)
    env_id = demos.env_id if env_id is None else env_id
    demos.check_env(env_id, same_env_id)
    obs, actions, next_obs, terminated = demos.transitions()
    obs_dim, spec = env_signature(env_id)
    policy = ActorCritic(obs_dim, spec, config.ppo.hidden_size, config.ppo.seeds)
    disc = AIRLDiscriminator(obs_dim, config.reward_hidden_size, config.ppo.gamma, config.ppo.seeds)
    expert = with_absorbing_rows({"obs": obs, "actions": actions, "next_obs": next_obs, "terminated": terminated},
                                 int(terminated.sum()))
    trainer = AIRLTrainer(disc, expert, policy, config.disc_learning_rate, config.disc_minibatch)
    return train_ppo(config.ppo, env_id, reward_model=AIRLRewardModel(trainer, config), policy=policy,
                     callback=callback, progress=progress, label="AIRL")


def learned_reward(result: TrainingResult) -> StateReward:
    """The reward g(s) an AIRL run learned, for all its seeds (a copy: training it further changes nothing)."""
    disc = getattr(result.reward_model, "discriminator", None)
    if not isinstance(disc, AIRLDiscriminator):
        raise InputError("this result was not trained by train_airl: only AIRL learns a reward g(s) to export")
    g = StateReward(disc.g.obs_dim, disc.g.hidden_size, disc.g.seeds)
    g.load_state_dict(disc.g.state_dict())
    return g.eval()


class StateRewardModel:
    """Replaces a rollout's rewards by a learned g(s): seed s's learner is trained on seed s's g."""

    def __init__(self, reward: StateReward, gamma: float) -> None:
        self.reward = check_instance("reward", reward, StateReward, "export one with learned_reward(result)")
        self.gamma = gamma

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """r_t = g(s_t) for every step, and a terminated step adds the absorbing state's
        gamma g(s_abs) / (1 - gamma); [T, S, N].  The environment's reward is not used."""
        horizon, seeds, envs = rollout.rewards.shape
        if seeds != self.reward.num_seeds:
            raise InputError(f"the learned reward holds {self.reward.num_seeds} seeds and the learners "
                             f"{seeds}: train as many learners (num_seeds) as the reward has seeds")
        with torch.no_grad():
            rewards = self.reward(rollout.per_seed("obs"))  # [S, T * N]
            tail = self.gamma * self.reward.absorbing_value().unsqueeze(-1) / (1 - self.gamma)
            rewards = rewards + rollout.per_seed("terminated").float() * tail
        return rewards.view(seeds, horizon, envs).transpose(0, 1) * rollout.valid, {}


def train_on_reward(reward: StateReward, config: PPOConfig, env_id: str, *, callback: Callback | None = None,
                    progress: bool = True) -> TrainingResult:
    """Train fresh PPO learners (``config``, a PPOConfig) on ``env_id`` with g(s) as their only reward."""
    return train_ppo(config, env_id, reward_model=StateRewardModel(reward, config.gamma), callback=callback,
                     progress=progress, label="PPO on g")


def save_reward(reward: StateReward, path: str | Path, **info: object) -> None:
    """Write g to ``path`` (``.pt``, a plain state_dict) and its architecture to ``.json`` beside it."""
    check_instance("reward", reward, StateReward, "export one with learned_reward(result)")
    path = file_to_write("path", path, ".pt", "save_reward")
    meta = {"obs_dim": reward.obs_dim, "hidden_size": reward.hidden_size, "seeds": reward.seeds, **info}
    save_weights(reward.state_dict(), path, meta, "save_reward")


def load_reward(path: str | Path) -> tuple[StateReward, dict]:
    """Load a reward written by :func:`save_reward` (``weights_only=True``); returns (g, its metadata)."""
    state, meta = load_weights(path, "reward", "load_reward", "save_reward")
    try:
        obs_dim = check_int("obs_dim", meta["obs_dim"], low=1)
        hidden = check_int("hidden_size", meta["hidden_size"], low=1)
        seeds = check_seeds("seeds", meta["seeds"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{Path(path).with_suffix('.json')} is not reward metadata written by save_reward: "
                            f"{exc!r}") from exc
    first = state.get("net.0.weight")
    if first is None or tuple(first.shape) != (len(seeds), obs_dim + 1, hidden):
        raise DataFileError(f"{path} does not fit the architecture in its .json: net.0.weight should be "
                            f"{(len(seeds), obs_dim + 1, hidden)} (seeds, obs_dim + the absorbing flag, hidden_size)")
    reward = StateReward(obs_dim, hidden, seeds)
    try:
        reward.load_state_dict(state)
    except RuntimeError as exc:
        raise DataFileError(f"{path} does not fit the architecture in its .json: {exc}") from exc
    return reward.eval(), meta
