"""The on-policy training loop shared by PPO and GAIL.

Each iteration: collect a rollout -> (GAIL only) let a reward model relabel its rewards ->
(with ``norm_reward``) scale them -> GAE -> PPO update -> log a history row, evaluate now and
then, update the progress bar, call the callback.  A kernel interrupt (KeyboardInterrupt) or a
callback returning True ends training cleanly with the partial history and the policy as
trained so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from gail_helpers.config import PPOConfig
from gail_helpers.envs import env_signature, make_vector_env
from gail_helpers.errors import check_finite
from gail_helpers.evaluation import run_episodes
from gail_helpers.history import History
from gail_helpers.policies import ActorCritic
from gail_helpers.ppo import ppo_update
from gail_helpers.reward_scaling import RewardScaler
from gail_helpers.rollout import Rollout, RolloutCollector, compute_gae

if TYPE_CHECKING:
    from gail_helpers.discriminator import Discriminator


class RewardModel(Protocol):
    """Replaces a rollout's environment rewards (GAIL's discriminator does this)."""

    def relabel(self, rollout: Rollout) -> tuple[torch.Tensor, dict[str, float]]:
        """Rewards [T, N] for the rollout, and figures to log in the history row."""
        ...


@dataclass
class TrainingResult:
    """What training produced, also when it was stopped early."""

    policy: ActorCritic
    history: History
    stop_reason: str  # "completed", "interrupted" (kernel interrupt) or "stopped" (callback)
    discriminator: Discriminator | None = None

    @property
    def completed(self) -> bool:
        """True when training ran its whole budget."""
        return self.stop_reason == "completed"


Callback = Callable[[dict[str, float], TrainingResult], "bool | None"]
"""Called after every iteration with the new history row; return True to stop training."""


def train_ppo(
    config: PPOConfig,
    env_id: str = "CartPole-v1",
    *,
    reward_model: RewardModel | None = None,
    policy: ActorCritic | None = None,
    callback: Callback | None = None,
    progress: bool = True,
    label: str = "PPO",
    discriminator: Discriminator | None = None,
) -> TrainingResult:
    """Train ``policy`` (a new one if None) with PPO for ``config.total_steps`` env steps.

    Without a ``reward_model`` the environment's reward is used; with one (GAIL) the
    rollout's rewards are replaced before the advantages are computed.  With ``config.norm_reward``
    they are then divided by a running std of the discounted return (the history's
    ``reward_mean`` is the unscaled mean, ``return_std`` the divisor).  The history's
    ``seconds`` counts training time only (not evaluation or callbacks).
    """
    torch.manual_seed(config.seed)
    obs_dim, spec = env_signature(env_id)
    if policy is None:
        policy = ActorCritic(obs_dim, spec, config.hidden_size)
    optimizer = torch.optim.Adam(policy.parameters(), lr=config.learning_rate, eps=1e-5, fused=True)
    generator = torch.Generator().manual_seed(config.seed)
    envs = make_vector_env(env_id, config.num_envs, config.seed)
    collector = RolloutCollector(envs, policy, config.seed)
    result = TrainingResult(policy, History(), "completed", discriminator)
    bar = tqdm(total=config.iterations * config.batch_size, desc=label, unit="step", disable=not progress)
    scaler = RewardScaler(config.num_envs, config.gamma) if config.norm_reward else None
    seconds, env_steps = 0.0, 0
    try:
        for iteration in range(config.iterations):
            started = time.perf_counter()
            if config.anneal_lr:
                optimizer.param_groups[0]["lr"] = config.learning_rate * (1 - iteration / config.iterations)
            rollout = collector.collect(config.num_steps)
            row: dict[str, float] = {"iteration": iteration}
            rewards = rollout.rewards
            if reward_model is not None:
                rewards, extra = reward_model.relabel(rollout)
                row.update(extra)
            row["reward_mean"] = float(rewards[rollout.valid].mean())
            check_finite(f"rewards at iteration {iteration}", {"reward_mean": row["reward_mean"]})
            if scaler is not None:
                rewards = scaler.scale(rewards, rollout)
                row["return_std"] = scaler.std
            advantages, returns = compute_gae(
                rewards, rollout.values, rollout.last_value, rollout.terminated, rollout.dones,
                config.gamma, config.gae_lambda,
            )
            mask = rollout.valid
            batch = {
                "obs": rollout.obs[mask],
                "actions": rollout.actions[mask],
                "logprobs": rollout.logprobs[mask],
                "advantages": advantages[mask],
                "returns": returns[mask],
            }
            where = f"PPO update at iteration {iteration}"
            row.update(ppo_update(policy, optimizer, batch, config, generator, where))
            seconds += time.perf_counter() - started
            env_steps += config.batch_size
            row["env_steps"] = env_steps
            row["seconds"] = seconds
            row["train_return"] = float(np.mean(rollout.episode_returns)) if rollout.episode_returns else math.nan
            if _evaluation_due(config, env_steps, last=iteration == config.iterations - 1):
                row["eval_return"] = run_episodes(
                    policy, env_id, config.eval_episodes, seed=1_000_000 + config.seed
                ).mean_return
            result.history.append(row)
            bar.update(config.batch_size)
            bar.set_postfix(_postfix(row), refresh=False)
            if callback is not None and callback(row, result):
                result.stop_reason = "stopped"
                break
    except KeyboardInterrupt:
        result.stop_reason = "interrupted"
    finally:
        bar.close()
        envs.close()
    return result


def _evaluation_due(config: PPOConfig, env_steps: int, last: bool) -> bool:
    """Evaluate whenever env_steps crosses a multiple of eval_every, and after the last iteration."""
    if not config.eval_every:
        return False
    crossed = env_steps // config.eval_every > (env_steps - config.batch_size) // config.eval_every
    return crossed or last


def _postfix(row: dict[str, float]) -> dict[str, str]:
    shown = {"eval_return": "eval", "train_return": "return", "d_expert": "D(exp)", "d_policy": "D(pol)"}
    return {short: f"{row[k]:.3g}" for k, short in shown.items() if k in row and not math.isnan(row[k])}
