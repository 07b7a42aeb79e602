"""Reward scaling against a hand computation of the discounted returns and their spread."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers.config import GAILConfig, PPOConfig
from gail_helpers.reward_scaling import RewardScaler
from gail_helpers.rollout import Rollout
from gail_helpers.training import train_ppo


def rollout_of(rewards: list[float] | list[list[float]], dones: list, valid: list) -> Rollout:
    """A one-env rollout carrying only what the scaler reads: one list per seed (a flat list is one seed)."""
    if not isinstance(rewards[0], list):
        rewards, dones, valid = [rewards], [dones], [valid]
    seeds, steps = len(rewards), len(rewards[0])

    def tensor(x, dtype=None):  # [S, T] lists -> [T, S, 1]
        return torch.tensor(x, dtype=dtype).T.reshape(steps, seeds, 1)

    zeros = torch.zeros(steps, seeds, 1)
    return Rollout(
        obs=torch.zeros(steps, seeds, 1, 4), actions=torch.zeros(steps, seeds, 1, dtype=torch.int64), logprobs=zeros,
        values=zeros, rewards=tensor(rewards, torch.float32), terminated=tensor(dones),
        truncated=torch.zeros(steps, seeds, 1, dtype=torch.bool), valid=tensor(valid),
        last_obs=torch.zeros(seeds, 1, 4), last_value=torch.zeros(seeds, 1),
    )


def test_rewards_are_divided_by_the_std_of_the_discounted_returns():
    # an episode of three steps ends, an autoreset step (invalid) follows, a new episode starts
    gamma = 0.5
    rewards = [1.0, 1.0, 1.0, 0.0, 2.0, 2.0]
    rollout = rollout_of(rewards, [False, False, True, False, False, False], [True, True, True, False, True, True])
    scaler = RewardScaler(num_seeds=1, num_envs=1, gamma=gamma)
    scaled = scaler.scale(rollout.rewards, rollout)

    returns = [1.0, 1.0 + gamma * 1.0, 1.0 + gamma * 1.5, 2.0, 2.0 + gamma * 2.0]  # G restarts after the end
    std = np.sqrt(np.var(returns) + scaler.epsilon)
    assert scaler.std.shape == (1,)
    assert scaler.std.item() == pytest.approx(std)
    np.testing.assert_allclose(scaled.numpy().ravel(), np.array(rewards) / std, rtol=1e-6)


def test_each_seed_is_scaled_by_its_own_returns():
    gamma = 0.9
    a = [0.5, 1.0, -0.2, 0.3, 0.8, 0.1]
    b = [10.0, 20.0, 5.0, 0.0, 40.0, 30.0]
    dones_a, dones_b = [False, True, False, False, False, False], [False, False, False, True, False, False]
    valid_a, valid_b = [True, True, False, True, True, True], [True] * 6
    both = RewardScaler(2, 1, gamma)
    rollout = rollout_of([a, b], [dones_a, dones_b], [valid_a, valid_b])
    scaled = both.scale(rollout.rewards, rollout)
    for s, (r, d, v) in enumerate([(a, dones_a, valid_a), (b, dones_b, valid_b)]):
        alone = RewardScaler(1, 1, gamma)
        single = rollout_of(r, d, v)
        expected = alone.scale(single.rewards, single)
        assert both.std[s].item() == pytest.approx(alone.std.item(), rel=1e-6)
        torch.testing.assert_close(scaled[:, s], expected[:, 0])
    assert both.std[1] > 10 * both.std[0]


def test_the_running_variance_spans_rollouts_and_episodes_continue_across_them():
    gamma = 0.9
    rewards = [0.5, 1.0, -0.2, 0.3, 0.8, 0.1, 0.4]
    dones = [False, False, True, False, False, False, False]
    whole = RewardScaler(1, 1, gamma)
    whole.scale(rollout_of(rewards, dones, [True] * 7).rewards, rollout_of(rewards, dones, [True] * 7))
    split = RewardScaler(1, 1, gamma)
    for part in (slice(0, 2), slice(2, 5), slice(5, 7)):
        r = rollout_of(rewards[part], dones[part], [True] * len(rewards[part]))
        split.scale(r.rewards, r)
    assert split.std.item() == pytest.approx(whole.std.item(), rel=1e-9)
    assert split.count.tolist() == whole.count.tolist() == [7]


def test_scaling_keeps_every_rewards_sign():
    # log D < 0 everywhere, -log(1 - D) > 0 everywhere: the survival story must survive the scaling
    rng = np.random.default_rng(0)
    rewards = list(-rng.uniform(0.1, 3.0, 50))
    rollout = rollout_of(rewards, [k % 10 == 9 for k in range(50)], [True] * 50)
    scaled = RewardScaler(1, 1, 0.99).scale(rollout.rewards, rollout)
    assert (scaled < 0).all()
    assert (RewardScaler(1, 1, 0.99).scale(-rollout.rewards, rollout) > 0).all()


def test_training_with_norm_reward_scales_the_rewards_and_reports_them_unscaled():
    assert not PPOConfig().norm_reward and not GAILConfig().ppo.norm_reward  # opt-in
    config = PPOConfig(total_steps=1_024, eval_every=0, seed=3)
    plain = train_ppo(config, progress=False).history
    scaled = train_ppo(config.replace(norm_reward=True), progress=False).history
    # the first rollout is the same; what is logged is the environment's reward, before scaling
    assert scaled["reward_mean"][0] == plain["reward_mean"][0]
    assert plain["reward_mean"][0] == pytest.approx(1.0, abs=1e-6)  # a masked mean: 1 within float rounding
    assert "return_std" not in plain.columns
    assert scaled["return_std"][0] > 1.0  # CartPole's returns spread over many units
    # from the first update on, the scaled run's policy differs: the scaling reached PPO
    assert scaled["value_loss"][0] < plain["value_loss"][0]


def test_training_with_norm_reward_logs_each_seeds_own_divisor():
    config = PPOConfig(total_steps=1_024, num_envs=4, num_steps=64, eval_every=0, seed=3, num_seeds=2,
                       norm_reward=True)
    result = train_ppo(config, progress=False)
    first, second = (h["return_std"] for h in result.histories)
    assert np.isfinite(first).all() and np.isfinite(second).all()
    assert (first > 1.0).all() and (second > 1.0).all()
    assert not np.array_equal(first, second)  # each seed keeps its own running variance
