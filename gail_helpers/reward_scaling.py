"""Reward scaling: divide rewards by a running standard deviation of the discounted return.

Turn it on with ``PPOConfig(norm_reward=True)`` (or ``ppo.norm_reward`` in a GAIL panel).
GAIL's rewards change scale as the discriminator learns, and with a long horizon the value
targets swing with them; keeping the return's scale near 1 steadies the critic.  Off by default:
within the notebooks' budgets the learner copied the expert less with it (NOTES.md).

Only the scale changes, never the sign: a reward that was positive (the survival bonus of
-log(1 - D)) stays positive.  This is the scaling of Stable-Baselines3's ``VecNormalize`` and
gymnasium's ``NormalizeReward``, kept separately for each seed.
"""

from __future__ import annotations

import torch

from gail_helpers.rollout import Rollout


class RewardScaler:
    """Keeps each env's discounted return and, per seed, a running variance of it over all steps seen."""

    def __init__(self, num_seeds: int, num_envs: int, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon
        self.discounted_return = torch.zeros(num_seeds, num_envs, dtype=torch.float64)
        self.count = torch.zeros(num_seeds, dtype=torch.float64)
        self.mean = torch.zeros(num_seeds, dtype=torch.float64)
        self.var = torch.ones(num_seeds, dtype=torch.float64)

    @property
    def std(self) -> torch.Tensor:
        """The scale each seed's rewards are divided by: sqrt(running variance + epsilon), [S]."""
        return (self.var + self.epsilon).sqrt().float()

    def scale(self, rewards: torch.Tensor, rollout: Rollout) -> torch.Tensor:
        """Update the running variances with this rollout's returns, then return rewards / std.

        For each env, over the rollout's valid steps (reset after each episode's end):

            G_t = gamma * G_{t-1} + r_t

        Each seed's variance of all G_t seen so far is merged with this rollout's (Chan et al.'s
        parallel update), and every reward of that seed is divided by sqrt(Var[G] + epsilon).
        """
        seen = torch.zeros(rewards.shape, dtype=torch.float64)
        for t in range(rewards.shape[0]):
            valid = rollout.valid[t]
            updated = self.gamma * self.discounted_return + rewards[t].double()
            self.discounted_return = torch.where(valid, updated, self.discounted_return)
            seen[t] = self.discounted_return
            self.discounted_return[valid & rollout.dones[t]] = 0.0
        self._merge(rollout.per_seed("valid"), seen.transpose(0, 1).flatten(1, 2))
        return rewards / self.std.view(1, -1, 1)

    def _merge(self, valid: torch.Tensor, returns: torch.Tensor) -> None:
        """Merge each seed's batch mean and variance (over its valid entries, [S, B]) into the running ones."""
        n = valid.sum(-1).double()
        w = valid.double()
        batch_mean = (returns * w).sum(-1) / n.clamp(min=1)
        batch_var = ((returns - batch_mean.unsqueeze(-1)).pow(2) * w).sum(-1) / n.clamp(min=1)
        total = self.count + n
        delta = batch_mean - self.mean
        denominator = total.clamp(min=1)  # a seed with no valid step this rollout keeps its figures
        var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / denominator) / denominator
        self.var = torch.where(n > 0, var, self.var)
        self.mean = torch.where(n > 0, self.mean + delta * n / denominator, self.mean)
        self.count = total
