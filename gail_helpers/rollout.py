"""Batched experience collection and generalised advantage estimation (GAE)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from gymnasium.vector import VectorEnv

from gail_helpers.policies import ActorCritic, to_env_action


@dataclass
class Rollout:
    """``num_steps`` x ``num_envs`` transitions, as tensors of shape [T, N, ...].

    ``valid`` is False on next-step-autoreset steps (the action was ignored and the env
    reset): those are not transitions and are left out of every loss.  Because of next-step
    autoreset, the observation stored right after a finished episode is its *final*
    observation, so ``values[t + 1]`` is V(final state) - exactly what truncation bootstraps.
    """

    obs: torch.Tensor
    actions: torch.Tensor
    logprobs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor
    truncated: torch.Tensor
    valid: torch.Tensor
    last_value: torch.Tensor
    episode_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)

    @property
    def dones(self) -> torch.Tensor:
        """Episode ended after this step, by termination or time-limit truncation."""
        return self.terminated | self.truncated

    def valid_pairs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The real (observation, action) pairs, flattened: what the discriminator sees."""
        mask = self.valid
        return self.obs[mask], self.actions[mask]


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    last_value: torch.Tensor,
    terminated: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation; returns (advantages, value targets), each [T, N].

    With V(s_{t+1}) the value of the state reached by step t (``values[t+1]``, or
    ``last_value`` after the final step):

        delta_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1}) - V(s_t)
        A_t     = delta_t + gamma * lam * (1 - done_t) * A_{t+1}

    A *terminated* step bootstraps nothing (the episode really ended: no future reward).
    A *truncated* step (time limit) still bootstraps V(s_{t+1}): the pole was up, and the
    future the agent would have had is real; only the recursion stops at ``done_t``.
    The value targets are R_t = A_t + V(s_t).
    """
    num_steps = rewards.shape[0]
    next_values = torch.cat([values[1:], last_value.unsqueeze(0)], dim=0)
    not_terminated = 1.0 - terminated.float()
    not_done = 1.0 - dones.float()
    advantages = torch.zeros_like(rewards)
    next_advantage = torch.zeros_like(last_value)
    for t in reversed(range(num_steps)):
        delta = rewards[t] + gamma * not_terminated[t] * next_values[t] - values[t]
        next_advantage = delta + gamma * lam * not_done[t] * next_advantage
        advantages[t] = next_advantage
    return advantages, advantages + values


class RolloutCollector:
    """Steps a vector env with a policy and keeps per-episode bookkeeping between rollouts."""

    def __init__(self, envs: VectorEnv, policy: ActorCritic, seed: int) -> None:
        self.envs = envs
        self.policy = policy
        obs, _ = envs.reset(seed=seed)
        self.obs = torch.as_tensor(obs, dtype=torch.float32)
        self.num_envs = envs.num_envs
        self.prev_done = torch.zeros(self.num_envs, dtype=torch.bool)
        self.running_return = np.zeros(self.num_envs)
        self.running_length = np.zeros(self.num_envs, dtype=np.int64)

    def collect(self, num_steps: int) -> Rollout:
        """Run ``num_steps`` vector steps with actions sampled from the policy."""
        n, spec = self.num_envs, self.policy.action_spec
        act_shape = (num_steps, n) if spec.discrete else (num_steps, n, spec.n)
        buf = {
            "obs": torch.zeros((num_steps, n, self.obs.shape[-1])),
            "actions": torch.zeros(act_shape, dtype=spec.torch_dtype),
            "logprobs": torch.zeros(num_steps, n),
            "values": torch.zeros(num_steps, n),
            "rewards": torch.zeros(num_steps, n),
            "terminated": torch.zeros(num_steps, n, dtype=torch.bool),
            "truncated": torch.zeros(num_steps, n, dtype=torch.bool),
            "valid": torch.zeros(num_steps, n, dtype=torch.bool),
        }
        returns, lengths = [], []
        for t in range(num_steps):
            action, logprob, value = self.policy.act(self.obs)
            next_obs, reward, term, trunc, _ = self.envs.step(to_env_action(action, spec))
            valid = ~self.prev_done
            buf["obs"][t] = self.obs
            buf["actions"][t] = action
            buf["logprobs"][t] = logprob
            buf["values"][t] = value
            buf["rewards"][t] = torch.as_tensor(reward, dtype=torch.float32)
            buf["terminated"][t] = torch.as_tensor(term)
            buf["truncated"][t] = torch.as_tensor(trunc)
            buf["valid"][t] = valid
            done = np.logical_or(term, trunc)
            live = valid.numpy()
            self.running_return[live] += reward[live]
            self.running_length[live] += 1
            for i in np.flatnonzero(done & live):
                returns.append(float(self.running_return[i]))
                lengths.append(int(self.running_length[i]))
                self.running_return[i] = 0.0
                self.running_length[i] = 0
            self.prev_done = torch.as_tensor(done)
            self.obs = torch.as_tensor(next_obs, dtype=torch.float32)
        with torch.no_grad():
            last_value = self.policy.value(self.obs)
        return Rollout(**buf, last_value=last_value, episode_returns=returns, episode_lengths=lengths)
