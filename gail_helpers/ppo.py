"""The PPO update: clipped surrogate, value loss and entropy bonus over minibatch epochs.

Every tensor here has the seed axis first ([S, B]); each seed's loss is its own mean over its
own minibatch, and the S losses are summed, so seed s's gradient comes from seed s's loss only.
"""

from __future__ import annotations

import torch

from gail_helpers.config import PPOConfig
from gail_helpers.errors import check_finite
from gail_helpers.policies import ActorCritic
from gail_helpers.seed_axis import clip_grad_norm_per_seed, gather, masked_mean, minibatch_indices, normalise


def ppo_loss(
    policy: ActorCritic,
    obs: torch.Tensor,
    actions: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    value_targets: torch.Tensor,
    valid: torch.Tensor,
    config: PPOConfig,
    with_stats: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """PPO's loss on one minibatch per seed; returns (loss per seed [S], statistics per seed, if asked).

    With the probability ratio rho = pi(a|s) / pi_old(a|s), advantages A and value targets R,
    each E[.] a mean over the seed's valid pairs:

        L_clip  = E[ min(rho * A, clip(rho, 1 - eps, 1 + eps) * A) ]    (maximised)
        L_value = E[ (V(s) - R)^2 ] / 2                                   (minimised)
        H       = E[ entropy of pi(.|s) ]                                  (maximised)

        loss = -L_clip + vf_coef * L_value - ent_coef * H
    """
    logprob, entropy, value = policy.evaluate(obs, actions)
    log_ratio = logprob - old_logprobs
    ratio = log_ratio.exp()
    mean = masked_mean(valid)  # E[.] over each seed's valid pairs
    if config.norm_adv:  # A <- (A - mean A) / (std A + 1e-8), per seed
        advantages = normalise(advantages, valid)
    eps = config.clip_coef
    surrogate = mean(torch.min(ratio * advantages, ratio.clamp(1 - eps, 1 + eps) * advantages))
    value_loss = 0.5 * mean((value - value_targets).pow(2))
    entropy_mean = mean(entropy)
    loss = -surrogate + config.vf_coef * value_loss - config.ent_coef * entropy_mean
    if not with_stats:
        return loss, {}
    with torch.no_grad():
        stats = {
            "policy_loss": -surrogate,
            "value_loss": value_loss,
            "entropy": entropy_mean,
            # KL(pi_old || pi) estimated as E[(rho - 1) - log rho] (always >= 0)
            "approx_kl": mean((ratio - 1) - log_ratio),
            "clip_fraction": mean(((ratio - 1).abs() > eps).float()),
        }
    return loss, stats


def ppo_update(
    policy: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    config: PPOConfig,
    shuffles: list[torch.Generator],
) -> dict[str, torch.Tensor]:
    """``update_epochs`` passes over ``batch`` (tensors [S, T * N, ...]) in ``num_minibatches``
    minibatches, each seed shuffled by its own generator in ``shuffles``.

    Each seed's gradient is clipped to norm ``max_grad_norm`` on its own.  One Adam over the
    stacked weights is S independent Adams: its update is elementwise.  A NaN or infinite loss
    raises :class:`~gail_helpers.errors.TrainingDivergedError`.  Returns the statistics of the
    last minibatch, per seed.
    """
    size = batch["obs"].shape[1]
    stats: dict[str, torch.Tensor] = {}
    for epoch in range(config.update_epochs):
        last_epoch = epoch == config.update_epochs - 1
        for idx in minibatch_indices(size, size // config.num_minibatches, shuffles):
            mb = {k: gather(v, idx) for k, v in batch.items()}
            loss, stats = ppo_loss(
                policy, mb["obs"], mb["actions"], mb["logprobs"], mb["advantages"], mb["value_targets"],
                mb["valid"], config, with_stats=last_epoch,
            )
            check_finite("the PPO loss", loss.detach(), f"Try a smaller learning_rate (now {config.learning_rate}).")
            optimizer.zero_grad()
            loss.sum().backward()
            clip_grad_norm_per_seed(list(policy.parameters()), config.max_grad_norm)
            optimizer.step()
    return stats
