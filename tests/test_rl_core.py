"""GAE, the reward forms, the discriminator and the rollout bookkeeping, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers.discriminator import Discriminator, DiscriminatorTrainer, discriminator_loss
from gail_helpers.envs import make_vector_env
from gail_helpers.policies import ActionSpec, ActorCritic
from gail_helpers.rewards import reward_from_logits
from gail_helpers.rollout import RolloutCollector, compute_gae


def test_gae_matches_a_hand_computation_with_termination_and_truncation():
    # one env, 4 steps: step 1 terminates, step 3 is truncated (time limit)
    gamma, lam = 0.9, 0.8
    rewards = torch.tensor([[1.0], [2.0], [0.5], [1.0]])
    values = torch.tensor([[0.5], [1.0], [2.0], [3.0]])
    last_value = torch.tensor([4.0])  # V(s_4): the final state of the truncated episode
    terminated = torch.tensor([[False], [True], [False], [False]])
    truncated = torch.tensor([[False], [False], [False], [True]])
    adv, ret = compute_gae(rewards, values, last_value, terminated, terminated | truncated, gamma, lam)

    d3 = 1.0 + gamma * 4.0 - 3.0  # truncated: still bootstraps V(s_4)
    a3 = d3  # ...but the recursion stops at the episode boundary
    d2 = 0.5 + gamma * 3.0 - 2.0
    a2 = d2 + gamma * lam * a3
    d1 = 2.0 - 1.0  # terminated: no bootstrap
    a1 = d1  # and no recursion across the boundary
    d0 = 1.0 + gamma * 1.0 - 0.5
    a0 = d0 + gamma * lam * a1
    expected = torch.tensor([[a0], [a1], [a2], [a3]])
    torch.testing.assert_close(adv, expected)
    torch.testing.assert_close(ret, expected + values)


def test_gae_with_lambda_one_is_the_discounted_return_minus_value():
    rewards = torch.ones(5, 2)
    values = torch.zeros(5, 2)
    none = torch.zeros(5, 2, dtype=torch.bool)
    adv, _ = compute_gae(rewards, values, torch.zeros(2), none, none, 0.5, 1.0)
    assert adv[0, 0].item() == pytest.approx(sum(0.5**k for k in range(5)))


@pytest.mark.parametrize(
    ("form", "formula"),
    [
        ("-log(1-D)", lambda d: -np.log(1 - d)),
        ("log D", np.log),
        ("logit", lambda d: np.log(d) - np.log(1 - d)),
    ],
)
def test_reward_forms_match_their_formulas_and_stay_finite(form, formula):
    logits = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5], dtype=torch.float64)
    d = torch.sigmoid(logits).numpy()
    np.testing.assert_allclose(reward_from_logits(logits, form).numpy(), formula(d), rtol=1e-10)
    extreme = reward_from_logits(torch.tensor([-200.0, 200.0]), form)
    assert torch.isfinite(extreme).all()


def test_reward_signs_tell_the_survival_story():
    logits = torch.linspace(-5, 5, 11)
    assert (reward_from_logits(logits, "-log(1-D)") > 0).all()  # a bonus for every step alive
    assert (reward_from_logits(logits, "log D") < 0).all()  # a cost for every step alive
    assert reward_from_logits(torch.tensor([0.0]), "logit").item() == 0.0


def test_unknown_reward_form_is_refused_with_the_allowed_forms():
    with pytest.raises(ValueError, match=r"'sqrt D' is not allowed.*-log\(1-D\).*log D.*logit"):
        reward_from_logits(torch.zeros(2), "sqrt D")


def test_discriminator_loss_is_the_binary_cross_entropy():
    torch.manual_seed(0)
    disc = Discriminator(3, ActionSpec(True, 2))
    eo, ea = torch.randn(7, 3), torch.randint(0, 2, (7,))
    po, pa = torch.randn(5, 3), torch.randint(0, 2, (5,))
    loss, stats = discriminator_loss(disc, eo, ea, po, pa)
    d_e, d_p = torch.sigmoid(disc(eo, ea)), torch.sigmoid(disc(po, pa))
    expected = -(torch.log(d_e).mean() + torch.log(1 - d_p).mean())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert stats["d_expert"] == pytest.approx(d_e.mean().item(), rel=1e-5)


def test_discriminator_learns_to_separate_two_distributions():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    disc = Discriminator(2, ActionSpec(True, 2), hidden_size=32)
    expert_obs, expert_act = torch.randn(2000, 2) + torch.tensor([1.5, 0.0]), torch.ones(2000, dtype=torch.int64)
    policy_obs, policy_act = torch.randn(2000, 2) - torch.tensor([1.5, 0.0]), torch.zeros(2000, dtype=torch.int64)
    trainer = DiscriminatorTrainer(disc, expert_obs, expert_act, 3e-3, 256, 0.0, gen)
    before = trainer.measure(policy_obs, policy_act)
    trainer.update(policy_obs, policy_act, passes=20, where="test")
    after = trainer.measure(policy_obs, policy_act)
    assert abs(before["d_expert"] - before["d_policy"]) < 0.2
    assert after["disc_acc_expert"] > 0.95 and after["disc_acc_policy"] > 0.95
    assert after["d_expert"] > 0.85 > 0.15 > after["d_policy"]


def test_gradient_penalty_is_added_and_finite():
    torch.manual_seed(0)
    disc = Discriminator(4, ActionSpec(True, 2))
    o, a = torch.randn(16, 4), torch.randint(0, 2, (16,))
    plain, _ = discriminator_loss(disc, o, a, o + 1, a)
    torch.manual_seed(1)
    penalised, stats = discriminator_loss(disc, o, a, o + 1, a, grad_penalty=10.0)
    assert stats["grad_penalty"] > 0
    assert penalised.item() == pytest.approx(plain.item() + 10.0 * stats["grad_penalty"], rel=1e-5)


def test_rollout_marks_autoreset_steps_invalid_and_counts_true_episode_returns():
    envs = make_vector_env("CartPole-v1", 3, seed=0)
    torch.manual_seed(0)
    policy = ActorCritic(4, ActionSpec(True, 2))
    rollout = RolloutCollector(envs, policy, seed=0).collect(120)
    dones = rollout.dones.numpy()
    valid = rollout.valid.numpy()
    # exactly the step after each episode end is an autoreset step, and only those
    expected_invalid = np.zeros_like(valid)
    expected_invalid[1:] = dones[:-1]
    np.testing.assert_array_equal(~valid, expected_invalid)
    assert not rollout.rewards.numpy()[~valid].any()  # the env pays nothing on a reset step
    # each finished episode's return is its number of valid steps (CartPole pays 1 per step)
    assert len(rollout.episode_returns) == int(dones[valid].sum()) > 3
    assert all(r == length for r, length in zip(rollout.episode_returns, rollout.episode_lengths, strict=True))
