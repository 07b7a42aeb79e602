"""Batched experience collection and generalised advantage estimation (GAE).

A rollout holds ``num_steps`` steps of ``num_envs`` environment copies for each of S seeds:
tensors of shape [T, S, N, ...], time first.  Seed s steps its own copies, with its own policy
and its own random actions; the seeds only share the Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from gail_helpers.env_groups import EnvGroups
from gail_helpers.policies import ActorCritic, to_env_action
from gail_helpers.seeding import generators, stream_seed
from gail_helpers.timing import Stopwatch


@dataclass
class Rollout:
    """``num_steps`` x S seeds x ``num_envs`` transitions, as tensors of shape [T, S, N, ...].

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
    last_obs: torch.Tensor  # [S, N, obs_dim]: where each copy stands after the last step
    last_value: torch.Tensor
    episode_returns: list[list[float]] = field(default_factory=list)  # per seed
    episode_lengths: list[list[int]] = field(default_factory=list)  # per seed

    @property
    def dones(self) -> torch.Tensor:
        """Episode ended after this step, by termination or time-limit truncation."""
        return self.terminated | self.truncated

    @property
    def next_obs(self) -> torch.Tensor:
        """s' of every step, [T, S, N, obs_dim]: ``obs[t + 1]``, or ``last_obs`` after the final step.

        After a step that ended an episode this is the episode's final observation (next-step
        autoreset stores it first); on the invalid reset steps it is meaningless, like the step.
        """
        return torch.cat([self.obs[1:], self.last_obs.unsqueeze(0)], dim=0)

    def per_seed(self, name: str) -> torch.Tensor:
        """Field ``name`` as [S, T * N, ...]: each seed's steps in one row, for minibatches and D."""
        x = getattr(self, name)
        return x.transpose(0, 1).flatten(1, 2)


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    last_value: torch.Tensor,
    terminated: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation; returns (advantages, value targets), each shaped like ``rewards``.

    Time is the first axis ([T, ...]; the others, seeds and envs, are just carried along).
    With V(s_{t+1}) the value of the state reached by step t (``values[t+1]``, or
    ``last_value`` after the final step):

        delta_t = r_t + gamma * (1 - terminated_t) * V(s_{t+1}) - V(s_t)
        A_t     = delta_t + gamma * lam * (1 - done_t) * A_{t+1}

    A *terminated* step bootstraps nothing (the episode really ended: no future reward).
    A *truncated* step (time limit) still bootstraps V(s_{t+1}): the pole was up, and the
    future the agent would have had is real; only the recursion stops at ``done_t``.
    The value targets, what the critic learns to predict, are R_t = A_t + V(s_t).
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
    value_targets = advantages + values
    return advantages, value_targets


class RolloutCollector:
    """Steps ``num_envs`` env copies per seed with the policy; keeps per-episode bookkeeping between rollouts."""

    def __init__(self, env_id: str, num_envs: int, policy: ActorCritic, stopwatch: Stopwatch | None = None) -> None:
        self.policy = policy
        self.envs = EnvGroups(env_id, num_envs, [stream_seed(s, "env") for s in policy.seeds])
        self.noise = generators(policy.seeds, "actions")
        self.stopwatch = stopwatch or Stopwatch()
        self.obs = torch.as_tensor(self.envs.reset(), dtype=torch.float32)  # [S, N, obs_dim]
        shape = (policy.num_seeds, num_envs)
        self.prev_done = np.zeros(shape, dtype=bool)
        self.running_return = np.zeros(shape)
        self.running_length = np.zeros(shape, dtype=np.int64)

    def close(self) -> None:
        """Close the environments."""
        self.envs.close()

    def collect(self, num_steps: int) -> Rollout:
        """Run ``num_steps`` vector steps of every seed with actions sampled from its policy."""
        spec = self.policy.action_spec
        seeds, n = self.prev_done.shape
        act_shape = (num_steps, seeds, n) if spec.discrete else (num_steps, seeds, n, spec.n)
        buf = {
            "obs": torch.zeros((num_steps, seeds, n, self.obs.shape[-1])),
            "actions": torch.zeros(act_shape, dtype=spec.torch_dtype),
            "logprobs": torch.zeros(num_steps, seeds, n),
            "values": torch.zeros(num_steps, seeds, n),
            "rewards": torch.zeros(num_steps, seeds, n),
            "terminated": torch.zeros(num_steps, seeds, n, dtype=torch.bool),
            "truncated": torch.zeros(num_steps, seeds, n, dtype=torch.bool),
            "valid": torch.zeros(num_steps, seeds, n, dtype=torch.bool),
        }
        returns: list[list[float]] = [[] for _ in range(seeds)]
        lengths: list[list[int]] = [[] for _ in range(seeds)]
        for t in range(num_steps):
            with self.stopwatch("policy in the rollout"):
                action, logprob, value = self.policy.act(self.obs, self.noise)
                env_action = to_env_action(action, spec)
            with self.stopwatch("env stepping"):
                next_obs, reward, term, trunc = self.envs.step(env_action)
            valid = ~self.prev_done
            buf["obs"][t] = self.obs
            buf["actions"][t] = action
            buf["logprobs"][t] = logprob
            buf["values"][t] = value
            buf["rewards"][t] = torch.as_tensor(reward, dtype=torch.float32)
            buf["terminated"][t] = torch.as_tensor(term)
            buf["truncated"][t] = torch.as_tensor(trunc)
            buf["valid"][t] = torch.as_tensor(valid)
            done = term | trunc
            self.running_return[valid] += reward[valid]
            self.running_length[valid] += 1
            for s, i in zip(*np.nonzero(done & valid), strict=True):
                returns[s].append(float(self.running_return[s, i]))
                lengths[s].append(int(self.running_length[s, i]))
                self.running_return[s, i] = 0.0
                self.running_length[s, i] = 0
            self.prev_done = done
            self.obs = torch.as_tensor(next_obs, dtype=torch.float32)
        with torch.no_grad(), self.stopwatch("policy in the rollout"):
            last_value = self.policy.value(self.obs)
        return Rollout(**buf, last_obs=self.obs, last_value=last_value, episode_returns=returns,
                       episode_lengths=lengths)
