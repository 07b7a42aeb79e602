"""The on-policy training loop: PPO, on the environment's reward or on a reward model's (GAIL).

Each iteration, for all S seeds at once: collect a rollout -> (with a reward model) relabel its
rewards -> (with ``norm_reward``) scale them -> GAE -> PPO update -> log one history row per
seed, evaluate now and then, update the progress bar, call the callback.  A kernel interrupt
(KeyboardInterrupt) or a callback returning True ends training cleanly with the partial
histories and the policies as trained so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from gail_helpers.checks import check_bool, check_callable, check_instance, shown
from gail_helpers.config import PPOConfig
from gail_helpers.envs import env_signature
from gail_helpers.errors import ConfigError, InputError, TrainingDivergedError, check_finite
from gail_helpers.evaluation import run_episodes_per_seed
from gail_helpers.history import History
from gail_helpers.policies import ActorCritic
from gail_helpers.ppo import ppo_update
from gail_helpers.reward_scaling import RewardScaler
from gail_helpers.rollout import Rollout, RolloutCollector, compute_gae
from gail_helpers.seed_axis import masked_mean
from gail_helpers.seeding import EVAL_SEED_OFFSET, generators
from gail_helpers.timing import Stopwatch


class RewardModel(Protocol):
    """Replaces a rollout's environment rewards (GAIL's discriminator does this)."""

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Rewards [T, S, N] for the rollout, and figures per seed ([S] each) for the history."""
        ...


@dataclass
class TrainingResult:
    """What training produced for S seeds, also when it was stopped early."""

    policy: nn.Module  # an ActorCritic for S seeds (seed i alone: policy.seed_policy(i))
    histories: list[History]  # one per seed
    seeds: list[int]
    stop_reason: str = "completed"  # "completed", "interrupted" (kernel interrupt) or "stopped" (callback)
    reward_model: RewardModel | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: training in all, and per part

    @property
    def completed(self) -> bool:
        """True when training ran its whole budget."""
        return self.stop_reason == "completed"

    @property
    def history(self) -> History:
        """The history of a one-seed run (with several seeds, use ``histories``)."""
        if len(self.histories) != 1:
            raise InputError(f"this run trained {len(self.seeds)} seeds {self.seeds}: use result.histories[i]")
        return self.histories[0]

    @property
    def discriminator(self) -> nn.Module | None:
        """GAIL's discriminator (all seeds), or None when trained on the environment's reward."""
        return getattr(self.reward_model, "discriminator", None)


Callback = Callable[[TrainingResult], "bool | None"]
"""Called after every iteration (``result.histories`` hold every row so far); return True to stop."""


def train_ppo(
    config: PPOConfig,
    env_id: str = "CartPole-v1",
    *,
    reward_model: RewardModel | None = None,
    policy: ActorCritic | None = None,
    callback: Callback | None = None,
    progress: bool = True,
    label: str = "PPO",
) -> TrainingResult:
    """Train ``policy`` (new ones for ``config.seeds`` if None) with PPO for ``config.total_steps``
    env steps per seed.

    Without a ``reward_model`` the environment's reward is used; with one (GAIL) the
    rollout's rewards are replaced before the advantages are computed.  With ``config.norm_reward``
    they are then divided by a running std of the discounted return (the history's
    ``reward_mean`` is the unscaled mean, ``return_std`` the divisor).  The history's
    ``seconds`` counts training time only (not evaluation or callbacks), for all seeds together.
    """
    if not isinstance(config, PPOConfig):
        raise ConfigError(f"train_ppo needs a PPOConfig, got {type(config).__name__}")
    obs_dim, spec = env_signature(env_id)
    if reward_model is not None and not callable(getattr(reward_model, "relabel", None)):
        raise InputError(f"reward_model must be None or a RewardModel (with a relabel(rollout) method, like GAIL's), "
                         f"got {shown(reward_model)}")
    if callback is not None:
        check_callable("callback", callback, "None or a function of the TrainingResult (return True to stop)")
    progress = check_bool("progress", progress)
    if policy is None:
        policy = ActorCritic(obs_dim, spec, config.hidden_size, config.seeds)
    else:
        check_instance("policy", policy, ActorCritic, "None trains new ones")
        policy.check_env(env_id)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5, fused=True)
    shuffles = generators(policy.seeds, "minibatches")
    watch = Stopwatch()
    collector = RolloutCollector(env_id, config.num_envs, policy, watch)
    result = TrainingResult(policy, [History() for _ in policy.seeds], policy.seeds, reward_model=reward_model)
    total = config.iterations * config.batch_size * policy.num_seeds
    bar = tqdm(total=total, desc=label, unit="step", disable=not progress)
    scaler = RewardScaler(policy.num_seeds, config.num_envs, config.gamma) if config.norm_reward else None
    train_seconds = 0.0
    try:
        for iteration in range(config.iterations):
            started = time.perf_counter()
            try:
                rows = _iteration(iteration, config, policy, optimizer, shuffles, collector, reward_model, scaler)
            except TrainingDivergedError as exc:
                exc.add_note(f"at training iteration {iteration} (env step {iteration * config.batch_size:,})")
                raise
            train_seconds += time.perf_counter() - started
            for row, history in zip(rows, result.histories, strict=True):
                row.update(env_steps=(iteration + 1) * config.batch_size, seconds=train_seconds)
                history.append(row)
            if _evaluation_due(config, iteration):
                with watch("evaluation"):
                    batches = run_episodes_per_seed(policy, env_id, config.eval_episodes, EVAL_SEED_OFFSET)
                for history, batch in zip(result.histories, batches, strict=True):
                    history.rows[-1]["eval_return"] = batch.mean_return
            bar.update(config.batch_size * policy.num_seeds)
            bar.set_postfix(_postfix(result.histories), refresh=False)
            if callback is not None and callback(result):
                result.stop_reason = "stopped"
                break
    except KeyboardInterrupt:
        result.stop_reason = "interrupted"
    finally:
        bar.close()
        collector.close()
        result.timings = {"training": train_seconds, **watch.seconds}
    return result


def _iteration(
    iteration: int,
    config: PPOConfig,
    policy: ActorCritic,
    optimizer: torch.optim.Optimizer,
    shuffles: list[torch.Generator],
    collector: RolloutCollector,
    reward_model: RewardModel | None,
    scaler: RewardScaler | None,
) -> list[dict[str, float]]:
    """One rollout and one PPO update for every seed; returns one history row per seed."""
    watch = collector.stopwatch
    if config.anneal_lr:
        optimizer.param_groups[0]["lr"] = config.learning_rate * (1 - iteration / config.iterations)
    rollout = collector.collect(config.num_steps)
    figures: dict[str, torch.Tensor] = {}
    rewards = rollout.rewards
    if reward_model is not None:
        with watch("discriminator"):
            rewards, figures = reward_model.relabel(rollout)
    valid = rollout.per_seed("valid")
    figures["reward_mean"] = masked_mean(valid)(rewards.transpose(0, 1).flatten(1, 2))
    check_finite("the rewards", figures["reward_mean"])
    with watch("PPO update"):
        if scaler is not None:
            rewards = scaler.scale(rewards, rollout)
            figures["return_std"] = scaler.std
        advantages, value_targets = compute_gae(
            rewards, rollout.values, rollout.last_value, rollout.terminated, rollout.dones,
            config.gamma, config.gae_lambda,
        )
        batch = {
            "obs": rollout.per_seed("obs"),
            "actions": rollout.per_seed("actions"),
            "logprobs": rollout.per_seed("logprobs"),
            "advantages": advantages.transpose(0, 1).flatten(1, 2),
            "value_targets": value_targets.transpose(0, 1).flatten(1, 2),
            "valid": valid,
        }
        figures.update(ppo_update(policy, optimizer, batch, config, shuffles))
    columns = {k: v.tolist() for k, v in figures.items()}
    rows = []
    for s, returns in enumerate(rollout.episode_returns):
        row = {"iteration": iteration, **{k: v[s] for k, v in columns.items()}}
        row["train_return"] = float(np.mean(returns)) if returns else math.nan
        rows.append(row)
    return rows


def _evaluation_due(config: PPOConfig, iteration: int) -> bool:
    """Evaluate whenever env_steps crosses a multiple of eval_every, and after the last iteration."""
    if not config.eval_every:
        return False
    env_steps = (iteration + 1) * config.batch_size
    crossed = env_steps // config.eval_every > (env_steps - config.batch_size) // config.eval_every
    return crossed or iteration == config.iterations - 1


def _postfix(histories: list[History]) -> dict[str, str]:
    """The progress bar's figures: the median over seeds of the latest values."""
    shown = {"eval_return": "eval", "train_return": "return", "d_expert": "D(exp)", "d_policy": "D(pol)"}
    out = {}
    for key, short in shown.items():
        values = [h.rows[-1].get(key, math.nan) for h in histories if len(h)]
        values = [v for v in values if not math.isnan(v)]
        if values:
            out[short] = f"{float(np.median(values)):.3g}"
    return out
