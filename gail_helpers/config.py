"""Hyperparameter configs: one frozen dataclass per algorithm.

Every field is declared with :func:`param`, which records its allowed range (or choices) and a
one-line help text.  The same metadata drives three things, so they cannot disagree:

* validation, run when a config is constructed (an invalid config cannot exist);
* the widget panels in :mod:`gail_helpers.widgets` (slider bounds, tooltips);
* the error message a learner sees, which names the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar, get_type_hints

import numpy as np

from gail_helpers.checks import brief
from gail_helpers.errors import ConfigError

C = TypeVar("C", bound="Config")
MAX_SEEDS = 16


@dataclass(frozen=True)
class FieldSpec:
    """What a field allows: a numeric range (``low``..``high``) or a set of ``choices``."""

    name: str
    default: Any
    kind: type
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    log: bool = False


def param(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    log: bool = False,
) -> Any:
    """Declare a config field with its default, help text and allowed values.

    ``log=True`` marks a field best explored on a log scale (learning rates); the widget
    panel then uses a logarithmic slider.
    """
    meta = {"help": help, "low": low, "high": high, "choices": choices, "log": log}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    """Base class: validates every field against its :func:`param` metadata on construction."""

    title: ClassVar[str] = "config"

    def __post_init__(self) -> None:
        for spec in self.specs():
            value = _check_field(type(self).__name__, spec, getattr(self, spec.name))
            object.__setattr__(self, spec.name, value)  # numpy numbers stored as int, float or bool
        self.check_consistency()

    def check_consistency(self) -> None:
        """Cross-field rules; subclasses override and raise :class:`ConfigError`."""

    @classmethod
    def specs(cls) -> list[FieldSpec]:
        """The declared fields with their ranges and help, in declaration order."""
        out = []
        kinds = get_type_hints(cls)
        for f in fields(cls):
            meta = f.metadata
            if "help" not in meta:
                continue  # nested configs are not widget fields
            out.append(
                FieldSpec(
                    name=f.name,
                    default=f.default,
                    kind=kinds[f.name],
                    help=meta["help"],
                    low=meta["low"],
                    high=meta["high"],
                    choices=meta["choices"],
                    log=meta["log"],
                )
            )
        return out

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (validated again).

        For a nested config field, a dict changes some of *its* fields and keeps the rest:
        ``GAILConfig().replace(ppo={"total_steps": 30_000})`` keeps GAIL's learner defaults,
        where ``ppo=PPOConfig(total_steps=30_000)`` would bring plain PPO's.
        """
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(
                f"{type(self).__name__} has no field(s) {unknown}; fields are {sorted(names)}"
            )
        for name, value in changes.items():
            current = getattr(self, name)
            if isinstance(value, dict) and isinstance(current, Config):
                changes[name] = current.replace(**value)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict, e.g. for printing or JSON."""
        return dataclasses.asdict(self)


def field_value(where: str, spec: FieldSpec, value: Any) -> Any:
    """``value`` as the field's own Python type, or :class:`ConfigError` naming ``where``.

    numpy numbers (a seed from ``np.arange``) become int, float or bool, so that they print, compare
    and save to JSON like the defaults do.  Ranges are not checked here (see :func:`_check_field`):
    a widget may hold an out-of-range value and say so in its status line.
    """
    if spec.kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"{where} must be True or False, got {brief(value)} ({spec.help})")
        return bool(value)
    if spec.choices is not None:
        if not isinstance(value, str) or value not in spec.choices:
            raise ConfigError(f"{where} = {brief(value)} is not allowed: choose one of {list(spec.choices)}")
        return str(value)
    if spec.kind is int:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{where} must be a whole number, got {brief(value)} ({spec.help})")
        return int(value)
    if spec.kind is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{where} must be a number, got {brief(value)} ({spec.help})")
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int too large for a float
            finite = False
        if not finite:
            raise ConfigError(f"{where} must be a finite number, got {brief(value)} ({spec.help})")
        return value if type(value) in (int, float) else float(value)
    return value


def _check_field(owner: str, spec: FieldSpec, value: Any) -> Any:
    """``value`` as the field's type and inside its range, or :class:`ConfigError`."""
    where = f"{owner}.{spec.name}"
    value = field_value(where, spec, value)
    if spec.low is not None and spec.high is not None and not spec.low <= value <= spec.high:
        raise ConfigError(
            f"{where} = {brief(value)} is out of range: allowed {spec.low} <= value <= {spec.high} "
            f"({spec.help})"
        )
    return value


@dataclass(frozen=True)
class PPOConfig(Config):
    """Proximal Policy Optimization on a vectorised environment."""

    title: ClassVar[str] = "PPO"

    total_steps: int = param(60_000, "environment steps to train for", low=1_000, high=2_000_000)
    num_envs: int = param(8, "parallel environments", low=1, high=64)
    num_steps: int = param(64, "steps per environment per rollout", low=4, high=4096)
    learning_rate: float = param(2.5e-3, "Adam step size", low=1e-5, high=1e-1, log=True)
    anneal_lr: bool = param(True, "decay the learning rate linearly to 0 over total_steps")
    gamma: float = param(0.99, "discount factor", low=0.5, high=0.9999)
    gae_lambda: float = param(0.9, "GAE lambda: 0 = one-step TD, 1 = Monte Carlo", low=0.0, high=1.0)
    clip_coef: float = param(0.1, "PPO clip range epsilon", low=0.01, high=1.0)
    update_epochs: int = param(6, "passes over each rollout", low=1, high=50)
    num_minibatches: int = param(4, "minibatches per pass", low=1, high=128)
    ent_coef: float = param(0.0, "entropy bonus weight", low=0.0, high=0.5)
    vf_coef: float = param(0.5, "value-loss weight", low=0.0, high=5.0)
    max_grad_norm: float = param(0.5, "gradient clipping norm", low=0.01, high=100.0)
    norm_adv: bool = param(True, "normalise advantages per minibatch")
    norm_reward: bool = param(False, "divide rewards by a running std of the discounted return")
    hidden_size: int = param(64, "units per hidden layer (2 layers)", low=4, high=512)
    eval_every: int = param(5_000, "evaluate every this many env steps (0 = never)", low=0, high=1_000_000)
    eval_episodes: int = param(10, "deterministic episodes per evaluation", low=1, high=100)
    seed: int = param(0, "random seed (of the first seed when num_seeds > 1)", low=0, high=2**31 - 1)
    num_seeds: int = param(1, "independent seeds trained at once: seed, seed + 1, ...", low=1, high=MAX_SEEDS)

    @property
    def seeds(self) -> list[int]:
        """The seeds trained side by side: seed, seed + 1, ..., seed + num_seeds - 1."""
        return list(range(self.seed, self.seed + self.num_seeds))

    @property
    def batch_size(self) -> int:
        """Transitions per rollout: num_envs * num_steps."""
        return self.num_envs * self.num_steps

    @property
    def iterations(self) -> int:
        """Rollout/update rounds needed for total_steps (at least one)."""
        return max(1, math.ceil(self.total_steps / self.batch_size))

    def check_consistency(self) -> None:
        if self.num_minibatches > self.batch_size:
            raise ConfigError(
                f"PPOConfig.num_minibatches = {self.num_minibatches} exceeds the rollout size "
                f"num_envs * num_steps = {self.batch_size}: allowed 1..{self.batch_size}"
            )


REWARD_FORMS = ("-log(1-D)", "log D", "logit")

# GAIL's learner: D's rewards move every iteration; a far-sighted learner taking more, smaller steps
# keeps up with them (NOTES.md, 2026-11-25, has the measurements and the variants tried).
GAIL_PPO = PPOConfig(gamma=0.995, num_minibatches=8)

# A fresh learner on a learned reward (AIRL's g, GAIL's frozen D: notebook 08): GAIL's learner with
# its rewards scaled, since a learned reward has no natural scale (NOTES.md, 2026-12-01).
FRESH_LEARNER_PPO = GAIL_PPO.replace(total_steps=40_000, norm_reward=True)

# GAIL's learner on Pendulum-v1 (notebook 09): a swing-up pays off within ~20 steps, so a short
# discount; long rollouts; rewards scaled.  The field notes' Pendulum PPO, with 8 minibatches of
# 256 at twice the step size: as good at 40k steps and 2.5x cheaper (NOTES.md, 2026-12-01).
PENDULUM_GAIL_PPO = PPOConfig(num_steps=256, gamma=0.95, gae_lambda=0.95, learning_rate=2e-3, update_epochs=10,
                              num_minibatches=8, clip_coef=0.2, norm_reward=True)


@dataclass(frozen=True)
class GAILConfig(Config):
    """GAIL: a discriminator's reward, optimised by PPO (the ``ppo`` field)."""

    title: ClassVar[str] = "GAIL"

    reward_form: str = param("-log(1-D)", "reward computed from the discriminator", choices=REWARD_FORMS)
    disc_learning_rate: float = param(1e-3, "discriminator Adam step size", low=1e-6, high=1e-1, log=True)
    disc_updates: int = param(5, "discriminator passes over each rollout", low=0, high=50)
    disc_minibatch: int = param(256, "pairs per discriminator step (each side)", low=8, high=8192)
    disc_hidden_size: int = param(64, "discriminator units per hidden layer", low=4, high=512)
    grad_penalty: float = param(0.0, "gradient-penalty weight (0 = off)", low=0.0, high=100.0)
    freeze_discriminator: bool = param(False, "control: never train D (reward from a random D)")
    ppo: PPOConfig = field(default_factory=lambda: GAIL_PPO)

    def check_consistency(self) -> None:
        if not isinstance(self.ppo, PPOConfig):
            raise ConfigError(f"GAILConfig.ppo must be a PPOConfig, got {type(self.ppo).__name__}")


@dataclass(frozen=True)
class AIRLConfig(Config):
    """AIRL: a discriminator built from a state-only reward g(s) and a shaping term h(s), trained
    like GAIL's; PPO (the ``ppo`` field) optimises its reward."""

    title: ClassVar[str] = "AIRL"

    reward_hidden_size: int = param(32, "units per hidden layer of g(s) and of h(s)", low=4, high=512)
    disc_learning_rate: float = param(1e-3, "discriminator (g and h) Adam step size", low=1e-6, high=1e-1, log=True)
    disc_updates: int = param(5, "discriminator passes over each rollout", low=1, high=50)
    disc_minibatch: int = param(256, "transitions per discriminator step (each side)", low=8, high=8192)
    ppo: PPOConfig = field(default_factory=lambda: GAIL_PPO)

    def check_consistency(self) -> None:
        if not isinstance(self.ppo, PPOConfig):
            raise ConfigError(f"AIRLConfig.ppo must be a PPOConfig, got {type(self.ppo).__name__}")


@dataclass(frozen=True)
class BCConfig(Config):
    """Behaviour cloning: supervised learning of the expert's action from the state."""

    title: ClassVar[str] = "Behaviour cloning"

    epochs: int = param(30, "passes over the demonstrations", low=1, high=1000)
    learning_rate: float = param(3e-3, "Adam step size", low=1e-5, high=1e-1, log=True)
    batch_size: int = param(256, "pairs per gradient step", low=1, high=65_536)
    hidden_size: int = param(64, "units per hidden layer (2 layers)", low=4, high=512)
    seed: int = param(0, "random seed (of the first seed when num_seeds > 1)", low=0, high=2**31 - 1)
    num_seeds: int = param(1, "independent seeds trained at once: seed, seed + 1, ...", low=1, high=MAX_SEEDS)

    @property
    def seeds(self) -> list[int]:
        """The seeds trained side by side: seed, seed + 1, ..., seed + num_seeds - 1."""
        return list(range(self.seed, self.seed + self.num_seeds))


@dataclass(frozen=True)
class GridworldConfig(Config):
    """A square gridworld MDP and the discount used to solve it."""

    title: ClassVar[str] = "Gridworld"

    size: int = param(8, "cells per side", low=3, high=20)
    slip_prob: float = param(0.1, "chance the move goes in a random other direction", low=0.0, high=0.9)
    gamma: float = param(0.9, "discount factor", low=0.0, high=0.999)


@dataclass(frozen=True)
class MaxEntIRLConfig(Config):
    """Maximum-entropy IRL (Ziebart et al. 2008) on a tabular MDP."""

    title: ClassVar[str] = "MaxEnt IRL"

    iterations: int = param(200, "gradient steps on the reward", low=1, high=10_000)
    learning_rate: float = param(0.1, "step size on the reward weights", low=1e-4, high=10.0, log=True)
    horizon: int = param(30, "steps per trajectory in the soft-value recursion", low=1, high=500)
    l2: float = param(0.0, "L2 penalty on the reward weights", low=0.0, high=10.0)
