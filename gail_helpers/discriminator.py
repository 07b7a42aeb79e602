"""The GAIL discriminator D(s, a): the probability that the pair (s, a) came from the expert.

One discriminator per seed, like the policy (:mod:`gail_helpers.networks`): inputs and outputs
carry the seed axis first, [S, B, ...].
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import softplus

from gail_helpers.envs import ActionSpec
from gail_helpers.errors import check_finite
from gail_helpers.networks import mlp, take_seed
from gail_helpers.seed_axis import gather, masked_mean, minibatch_indices
from gail_helpers.seeding import generators


class Discriminator(nn.Module):
    """An MLP on (observation, encoded action) returning the logit l with D = sigmoid(l), per seed.

    Discrete actions enter one-hot; continuous ones as they are.
    """

    def __init__(self, obs_dim: int, action_spec: ActionSpec, hidden_size: int = 64, seeds: list[int] = (0,)) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.action_spec = action_spec
        self.hidden_size = hidden_size
        self.seeds = list(seeds)
        self.net = mlp(obs_dim + action_spec.encoded_dim, 1, generators(self.seeds, "disc_init"), hidden_size)

    @property
    def num_seeds(self) -> int:
        """S, the number of seeds this module holds."""
        return len(self.seeds)

    def inputs(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The network's input: observation and encoded action side by side."""
        return torch.cat([obs, self.action_spec.encode(actions)], dim=-1)

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Logits l(s, a) for obs [S, B, obs_dim] (or [B, obs_dim]: the same pairs for every seed), [S, B]."""
        x = self.inputs(obs, actions)
        if x.dim() == 2:
            x = x.expand(self.num_seeds, *x.shape)
        return self.net(x).squeeze(-1)

    @torch.no_grad()
    def prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """D(s, a) = sigmoid(l(s, a)) per seed, [S, B], without gradients (for plots and statistics)."""
        return torch.sigmoid(self(obs, actions))

    def single(self, index: int) -> Discriminator:
        """A one-seed copy of seed number ``index`` (0 .. S-1), e.g. to draw its D(s, a)."""
        state = take_seed(self, index)
        one = Discriminator(self.obs_dim, self.action_spec, self.hidden_size, [self.seeds[index]])
        one.load_state_dict(state)
        return one


def classification_loss(
    expert_logits: torch.Tensor, policy_logits: torch.Tensor, policy_valid: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Any discriminator's loss from its logits l (D = sigmoid(l)), per seed; returns (loss [S], statistics).

    D maximises E_expert[log D] + E_policy[log(1 - D)].  As a loss to minimise this is the
    binary cross-entropy with label 1 for expert pairs and 0 for policy pairs, computed from
    the logits (log D = -softplus(-l), log(1 - D) = -softplus(l)):

        loss = E_expert[softplus(-l)] + E_policy[softplus(l)]

    Logits are [S, B]; ``policy_valid`` [S, B] leaves a rollout's reset steps out.  GAIL's D
    (:func:`discriminator_loss`) and AIRL's (:mod:`gail_helpers.airl`) differ only in their logits.
    """
    policy_mean = masked_mean(policy_valid)
    loss = policy_mean(softplus(policy_logits))
    if expert_logits.shape[-1] > 0:  # the no-demonstrations control has no expert term
        loss = loss + softplus(-expert_logits).mean(-1)
    with torch.no_grad():
        stats = dict(
            disc_loss=loss.detach(),
            d_expert=torch.sigmoid(expert_logits).mean(-1),
            d_policy=policy_mean(torch.sigmoid(policy_logits)),
            # accuracy: expert pairs called expert (D > 1/2), policy pairs called policy (D < 1/2)
            disc_acc_expert=(expert_logits > 0).float().mean(-1),
            disc_acc_policy=policy_mean((policy_logits < 0).float()),
        )
    return loss, stats


def discriminator_loss(
    disc: Discriminator,
    expert_obs: torch.Tensor,
    expert_actions: torch.Tensor,
    policy_obs: torch.Tensor,
    policy_actions: torch.Tensor,
    policy_valid: torch.Tensor,
    grad_penalty: float = 0.0,
    alpha: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """GAIL's discriminator loss on one batch of each side, per seed; returns (loss [S], statistics).

    The binary cross-entropy of :func:`classification_loss` on D's logits l(s, a).  With
    ``grad_penalty`` = lambda > 0, a gradient penalty (Gulrajani et al. 2017) on inputs
    x_hat = alpha * x_expert + (1 - alpha) * x_policy keeps D smooth (``alpha`` [S, B, 1] uniform):

        + lambda * E[(||grad_x l(x_hat)|| - 1)^2]

    Every tensor is [S, B, ...]; ``policy_valid`` [S, B] leaves a rollout's reset steps out.
    """
    expert_logits = disc(expert_obs, expert_actions)
    policy_logits = disc(policy_obs, policy_actions)
    loss, stats = classification_loss(expert_logits, policy_logits, policy_valid)
    if grad_penalty > 0 and expert_logits.shape[-1] > 0:
        if alpha is None:
            raise ValueError("grad_penalty > 0 needs alpha, the interpolation weights [S, B, 1] (uniform in [0, 1))")
        x_hat = alpha * disc.inputs(expert_obs, expert_actions) + (1 - alpha) * disc.inputs(policy_obs, policy_actions)
        x_hat.requires_grad_(True)
        (grad,) = torch.autograd.grad(disc.net(x_hat).sum(), x_hat, create_graph=True)
        penalty = masked_mean(policy_valid)((grad.norm(dim=-1) - 1).pow(2))
        loss = loss + grad_penalty * penalty
        stats["grad_penalty"] = penalty.detach()
    return loss, stats


class DiscriminatorTrainer:
    """Adam steps on GAIL's :func:`discriminator_loss`, expert minibatches drawn from the demonstrations.

    Pairs come as dicts of tensors: ``expert`` [N_E, ...] shared by every seed (``obs``,
    ``actions``), the policy's [S, B, ...].  AIRL's trainer changes only :meth:`logits` and :meth:`loss`.
    """

    def __init__(
        self, disc: nn.Module, expert: dict[str, torch.Tensor], learning_rate: float, minibatch: int,
        grad_penalty: float = 0.0,
    ) -> None:
        self.disc = disc
        self.expert = expert
        self.minibatch = minibatch
        self.grad_penalty = grad_penalty
        self.draws = generators(disc.seeds, "disc_batches")
        self.optimizer = torch.optim.Adam(disc.parameters(), lr=learning_rate, fused=True)

    def logits(
        self, expert: dict[str, torch.Tensor], policy: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's logits on one batch of each side ([S, B, ...]): (expert's [S, B], policy's [S, B])."""
        return self.disc(expert["obs"], expert["actions"]), self.disc(policy["obs"], policy["actions"])

    def loss(
        self, expert: dict[str, torch.Tensor], policy: dict[str, torch.Tensor], valid: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(loss [S], statistics) to train on, one batch of each side, [S, B, ...]; with the gradient penalty."""
        alpha = None
        if self.grad_penalty > 0:
            alpha = torch.stack([torch.rand(valid.shape[1], 1, generator=g) for g in self.draws])
        return discriminator_loss(self.disc, expert["obs"], expert["actions"], policy["obs"], policy["actions"],
                                  valid, self.grad_penalty, alpha)

    def update(self, policy: dict[str, torch.Tensor], valid: torch.Tensor, passes: int) -> None:
        """``passes`` shuffled passes over each seed's policy pairs ([S, B, ...]), each minibatch
        against as many expert pairs drawn at random for that seed."""
        size = min(self.minibatch, valid.shape[1])
        for _ in range(passes):
            for idx in minibatch_indices(valid.shape[1], size, self.draws):
                expert = self._expert_sample(size)
                loss, _ = self.loss(expert, {k: gather(v, idx) for k, v in policy.items()}, gather(valid, idx))
                check_finite("the discriminator loss", loss.detach(),
                             f"Try a smaller disc_learning_rate (now {self.optimizer.param_groups[0]['lr']}).")
                self.optimizer.zero_grad()
                loss.sum().backward()
                self.optimizer.step()

    def measure(
        self, policy: dict[str, torch.Tensor], valid: torch.Tensor
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """D's loss, mean D and accuracy per seed on the given policy pairs ([S, B, ...]) and on as
        many expert pairs drawn at random (a sample keeps this cheap; its mean D is within ~0.01),
        and D's logits on the policy pairs, [S, B]: the rewards are read from them."""
        expert = self._expert_sample(valid.shape[1])
        with torch.no_grad():
            expert_logits, policy_logits = self.logits(expert, policy)
            _, stats = classification_loss(expert_logits, policy_logits, valid)
        return stats, policy_logits

    def _expert_sample(self, size: int) -> dict[str, torch.Tensor]:
        """``size`` expert pairs per seed, drawn with replacement: [S, size, ...] (none without demonstrations)."""
        n_expert = len(self.expert["obs"])
        idx = torch.stack([torch.randint(max(1, n_expert), (size if n_expert else 0,), generator=g)
                           for g in self.draws])
        return {k: v[idx] for k, v in self.expert.items()}
