"""The PPO update: clipped surrogate, value loss and entropy bonus over minibatch epochs."""

from __future__ import annotations

import torch
from torch import nn

from gail_helpers.config import PPOConfig
from gail_helpers.errors import check_finite
from gail_helpers.policies import ActorCritic


def ppo_loss(
    policy: ActorCritic,
    obs: torch.Tensor,
    actions: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    config: PPOConfig,
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO's loss on one minibatch; returns (loss to minimise, statistics).

    With the probability ratio rho = pi(a|s) / pi_old(a|s) and advantages A:

        L_clip  = E[ min(rho * A, clip(rho, 1 - eps, 1 + eps) * A) ]    (maximised)
        L_value = E[ (V(s) - R)^2 ] / 2                                   (minimised)
        H       = E[ entropy of pi(.|s) ]                                  (maximised)

        loss = -L_clip + vf_coef * L_value - ent_coef * H
    """
    logprob, entropy, value = policy.evaluate(obs, actions)
    log_ratio = logprob - old_logprobs
    ratio = log_ratio.exp()
    if config.norm_adv and advantages.numel() > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    eps = config.clip_coef
    surrogate = torch.min(ratio * advantages, ratio.clamp(1 - eps, 1 + eps) * advantages).mean()
    value_loss = 0.5 * (value - returns).pow(2).mean()
    entropy_mean = entropy.mean()
    loss = -surrogate + config.vf_coef * value_loss - config.ent_coef * entropy_mean
    with torch.no_grad():
        stats = {
            "policy_loss": -surrogate.item(),
            "value_loss": value_loss.item(),
            "entropy": entropy_mean.item(),
            # KL(pi_old || pi) estimated as E[(rho - 1) - log rho] (always >= 0)
            "approx_kl": ((ratio - 1) - log_ratio).mean().item(),
            "clip_fraction": ((ratio - 1).abs() > eps).float().mean().item(),
        }
    return loss, stats


def ppo_update(
    policy: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    config: PPOConfig,
    generator: torch.Generator,
    where: str = "PPO update",
) -> dict[str, float]:
    """``update_epochs`` passes over ``batch`` (flat tensors) in ``num_minibatches`` shuffled minibatches.

    Gradients are clipped to ``max_grad_norm``.  A NaN or infinite loss raises
    :class:`~gail_helpers.errors.TrainingDivergedError` naming ``where``, epoch and minibatch.
    Returns the statistics of the last minibatch.
    """
    size = batch["obs"].shape[0]
    minibatch = max(1, size // config.num_minibatches)
    stats: dict[str, float] = {}
    for epoch in range(config.update_epochs):
        order = torch.randperm(size, generator=generator)
        for k, start in enumerate(range(0, size - minibatch + 1, minibatch)):
            idx = order[start : start + minibatch]
            loss, stats = ppo_loss(
                policy,
                batch["obs"][idx],
                batch["actions"][idx],
                batch["logprobs"][idx],
                batch["advantages"][idx],
                batch["returns"][idx],
                config,
            )
            check_finite(
                f"{where}, epoch {epoch}, minibatch {k}",
                {"loss": loss.item(), **stats},
                hint=f"Try a smaller learning_rate (now {config.learning_rate}) or check the rewards.",
            )
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()
    return stats
