"""Reward scaling: divide rewards by a running standard deviation of the discounted return.

Turn it on with ``PPOConfig(norm_reward=True)`` (or ``ppo.norm_reward`` in a GAIL panel).

GAIL's rewards change scale as the discriminator learns: r = -log(1 - D) averages about 0.7
while D is unsure and 0.2 once it separates, and with gamma = 0.995 the value targets
(up to ~ r / (1 - gamma)) swing with it.  The critic chases a moving scale, its loss spikes,
and - as PPO clips the gradient of the actor and the critic together - the actor's steps
stall while the critic's loss is large.  Keeping the return's scale near 1 steadies both.

The price, measured on CartPole (notebook 05, exercise 4): the learner copies the expert less
within 40k-60k steps (D stays further from 1/2, the styled expert's cart position is lost on some
seeds), which is why GAIL's default learner does not scale.  Our reading: a learner whose value
targets no longer swing settles sooner on *a* way to balance, before the discriminator has
shaped it into the expert's way.

Only the scale changes, never the sign: a reward that was positive (the survival bonus of
-log(1 - D)) stays positive.  This is the scaling of Stable-Baselines3's ``VecNormalize`` and
gymnasium's ``NormalizeReward``.
"""

from __future__ import annotations

import torch

from gail_helpers.rollout import Rollout


class RewardScaler:
    """Keeps each env's discounted return and a running variance of it over all steps seen."""

    def __init__(self, num_envs: int, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon
        self.discounted_return = torch.zeros(num_envs, dtype=torch.float64)
        self.count = 0
        self.mean = 0.0
        self.var = 1.0

    @property
    def std(self) -> float:
        """The scale rewards are divided by: sqrt(running variance + epsilon)."""
        return (self.var + self.epsilon) ** 0.5

    def scale(self, rewards: torch.Tensor, rollout: Rollout) -> torch.Tensor:
        """Update the running variance with this rollout's returns, then return rewards / std.

        For each env, over the rollout's valid steps (reset after each episode's end):

            G_t = gamma * G_{t-1} + r_t

        The variance of all G_t seen so far is merged with this rollout's (Chan et al.'s
        parallel update), and every reward of the rollout is divided by the same
        sqrt(Var[G] + epsilon).
        """
        seen = []
        for t in range(rewards.shape[0]):
            valid = rollout.valid[t]
            updated = self.gamma * self.discounted_return + rewards[t].double()
            self.discounted_return = torch.where(valid, updated, self.discounted_return)
            seen.append(self.discounted_return[valid])
            self.discounted_return[valid & rollout.dones[t]] = 0.0
        self._merge(torch.cat(seen))
        return rewards / self.std

    def _merge(self, returns: torch.Tensor) -> None:
        """Merge a batch's mean and variance into the running ones."""
        n = returns.numel()
        if n == 0:
            return
        batch_mean = returns.mean().item()
        batch_var = returns.var(unbiased=False).item()
        total = self.count + n
        delta = batch_mean - self.mean
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.mean += delta * n / total
        self.count = total
