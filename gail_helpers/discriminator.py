"""The GAIL discriminator D(s, a): the probability that the pair (s, a) came from the expert."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import softplus

from gail_helpers.errors import check_finite
from gail_helpers.networks import mlp
from gail_helpers.policies import ActionSpec


class Discriminator(nn.Module):
    """An MLP on (observation, encoded action) returning the logit l with D = sigmoid(l).

    Discrete actions enter one-hot; continuous ones as they are.
    """

    def __init__(self, obs_dim: int, action_spec: ActionSpec, hidden_size: int = 64) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.action_spec = action_spec
        self.net = mlp(obs_dim + action_spec.encoded_dim, 1, hidden_size)

    def inputs(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The network's input: observation and encoded action side by side."""
        return torch.cat([obs, self.action_spec.encode(actions)], dim=-1)

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Logits l(s, a), shape [batch]."""
        return self.net(self.inputs(obs, actions)).squeeze(-1)

    @torch.no_grad()
    def prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """D(s, a) = sigmoid(l(s, a)), without gradients (for plots and statistics)."""
        return torch.sigmoid(self(obs, actions))


def discriminator_loss(
    disc: Discriminator,
    expert_obs: torch.Tensor,
    expert_actions: torch.Tensor,
    policy_obs: torch.Tensor,
    policy_actions: torch.Tensor,
    grad_penalty: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The discriminator's loss on one batch of each side; returns (loss, statistics).

    D maximises E_expert[log D] + E_policy[log(1 - D)].  As a loss to minimise this is the
    binary cross-entropy with label 1 for expert pairs and 0 for policy pairs, computed from
    the logits (log D = -softplus(-l), log(1 - D) = -softplus(l)):

        loss = E_expert[softplus(-l)] + E_policy[softplus(l)]

    With ``grad_penalty`` = lambda > 0, a gradient penalty (Gulrajani et al. 2017) on inputs
    x_hat interpolated between expert and policy pairs keeps D smooth:

        + lambda * E[(||grad_x l(x_hat)|| - 1)^2]
    """
    expert_logits = disc(expert_obs, expert_actions)
    policy_logits = disc(policy_obs, policy_actions)
    loss = softplus(policy_logits).mean()
    if len(expert_logits):  # an empty expert set (the no-demonstrations control) adds nothing
        loss = loss + softplus(-expert_logits).mean()
    stats = {}
    if grad_penalty > 0 and len(expert_logits):
        x_e = disc.inputs(expert_obs, expert_actions)
        x_p = disc.inputs(policy_obs, policy_actions)
        n = min(len(x_e), len(x_p))
        alpha = torch.rand(n, 1)
        x_hat = (alpha * x_e[:n] + (1 - alpha) * x_p[:n]).requires_grad_(True)
        (grad,) = torch.autograd.grad(disc.net(x_hat).sum(), x_hat, create_graph=True)
        penalty = (grad.norm(dim=-1) - 1).pow(2).mean()
        loss = loss + grad_penalty * penalty
        stats["grad_penalty"] = penalty.item()
    with torch.no_grad():
        stats.update(
            disc_loss=loss.item(),
            d_expert=torch.sigmoid(expert_logits).mean().item(),
            d_policy=torch.sigmoid(policy_logits).mean().item(),
            # accuracy: expert pairs called expert (D > 1/2), policy pairs called policy (D < 1/2)
            disc_acc_expert=(expert_logits > 0).float().mean().item(),
            disc_acc_policy=(policy_logits < 0).float().mean().item(),
        )
    return loss, stats


class DiscriminatorTrainer:
    """Adam steps on :func:`discriminator_loss`, expert minibatches drawn from the demonstrations."""

    def __init__(
        self,
        disc: Discriminator,
        expert_obs: torch.Tensor,
        expert_actions: torch.Tensor,
        learning_rate: float,
        minibatch: int,
        grad_penalty: float,
        generator: torch.Generator,
    ) -> None:
        self.disc = disc
        self.expert_obs = expert_obs
        self.expert_actions = expert_actions
        self.minibatch = minibatch
        self.grad_penalty = grad_penalty
        self.generator = generator
        self.optimizer = torch.optim.Adam(disc.parameters(), lr=learning_rate, fused=True)

    def update(self, policy_obs: torch.Tensor, policy_actions: torch.Tensor, passes: int, where: str) -> None:
        """``passes`` shuffled passes over the policy pairs, each minibatch against as many
        expert pairs drawn at random."""
        n = len(policy_obs)
        size = min(self.minibatch, n)
        for p in range(passes):
            order = torch.randperm(n, generator=self.generator)
            for start in range(0, n - size + 1, size):
                idx = order[start : start + size]
                e_idx = torch.randint(max(1, len(self.expert_obs)), (min(size, len(self.expert_obs)),),
                                      generator=self.generator)
                loss, _ = discriminator_loss(
                    self.disc, self.expert_obs[e_idx], self.expert_actions[e_idx],
                    policy_obs[idx], policy_actions[idx], self.grad_penalty,
                )
                check_finite(
                    f"{where}, discriminator pass {p}", {"loss": loss.item()},
                    hint=f"Try a smaller disc_learning_rate (now {self.optimizer.param_groups[0]['lr']}).",
                )
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def measure(self, policy_obs: torch.Tensor, policy_actions: torch.Tensor) -> dict[str, float]:
        """D's loss, mean D and accuracy on all expert pairs and on the given policy pairs."""
        with torch.no_grad():
            _, stats = discriminator_loss(self.disc, self.expert_obs, self.expert_actions, policy_obs, policy_actions)
        return stats
