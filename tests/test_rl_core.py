"""GAE, the reward forms, the discriminator and the rollout bookkeeping, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers.discriminator import Discriminator, DiscriminatorTrainer, discriminator_loss
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


def test_gae_carries_the_seed_axis_and_treats_each_seed_apart():
    # [T, S, N]: each seed's advantages are those of its own [T, N] slice computed alone
    g = torch.Generator().manual_seed(0)
    rewards, values = torch.randn(6, 3, 2, generator=g), torch.randn(6, 3, 2, generator=g)
    last_value = torch.randn(3, 2, generator=g)
    terminated = torch.rand(6, 3, 2, generator=g) < 0.2
    dones = terminated | (torch.rand(6, 3, 2, generator=g) < 0.2)
    adv, targets = compute_gae(rewards, values, last_value, terminated, dones, 0.9, 0.8)
    assert adv.shape == targets.shape == (6, 3, 2)
    for s in range(3):
        a, t = compute_gae(rewards[:, s], values[:, s], last_value[s], terminated[:, s], dones[:, s], 0.9, 0.8)
        torch.testing.assert_close(adv[:, s], a, rtol=0, atol=0)
        torch.testing.assert_close(targets[:, s], t, rtol=0, atol=0)


def test_discriminator_loss_is_the_binary_cross_entropy_per_seed_over_valid_pairs():
    disc = Discriminator(3, ActionSpec(True, 2), seeds=[0, 1])
    g = torch.Generator().manual_seed(0)
    eo, ea = torch.randn(2, 7, 3, generator=g), torch.randint(0, 2, (2, 7), generator=g)
    po, pa = torch.randn(2, 5, 3, generator=g), torch.randint(0, 2, (2, 5), generator=g)
    valid = torch.tensor([[True, True, False, True, True], [True, False, False, True, True]])
    loss, stats = discriminator_loss(disc, eo, ea, po, pa, valid)
    assert loss.shape == (2,) and all(v.shape == (2,) for v in stats.values())
    d_e, d_p = torch.sigmoid(disc(eo, ea)), torch.sigmoid(disc(po, pa))
    for s in range(2):
        expected = -(torch.log(d_e[s]).mean() + torch.log(1 - d_p[s][valid[s]]).mean())
        assert loss[s].item() == pytest.approx(expected.item(), rel=1e-5)
        assert stats["d_expert"][s].item() == pytest.approx(d_e[s].mean().item(), rel=1e-5)
        assert stats["d_policy"][s].item() == pytest.approx(d_p[s][valid[s]].mean().item(), rel=1e-5)
        assert stats["disc_acc_policy"][s].item() == pytest.approx((d_p[s][valid[s]] < 0.5).float().mean().item())


def test_a_two_dimensional_input_goes_to_every_seed():
    disc = Discriminator(3, ActionSpec(True, 2), seeds=[0, 1, 2])
    obs, actions = torch.randn(4, 3), torch.randint(0, 2, (4,))
    logits = disc(obs, actions)
    assert logits.shape == (3, 4)
    torch.testing.assert_close(logits, disc(obs.expand(3, 4, 3), actions.expand(3, 4)), rtol=0, atol=0)
    assert not torch.allclose(logits[0], logits[1])  # the seeds' networks differ


def test_discriminator_learns_to_separate_two_distributions():
    # seeds whose untrained D does not separate the two clouds by chance (seed 0's already does: 96%)
    disc = Discriminator(2, ActionSpec(True, 2), hidden_size=32, seeds=[1, 3])
    g = torch.Generator().manual_seed(0)
    expert_obs = torch.randn(2000, 2, generator=g) + torch.tensor([1.5, 0.0])
    expert_act = torch.ones(2000, dtype=torch.int64)
    policy_obs = (torch.randn(2000, 2, generator=g) - torch.tensor([1.5, 0.0])).expand(2, 2000, 2)
    policy_act = torch.zeros(2, 2000, dtype=torch.int64)
    valid = torch.ones(2, 2000, dtype=torch.bool)
    trainer = DiscriminatorTrainer(disc, {"obs": expert_obs, "actions": expert_act}, 3e-3, 256, 0.0)
    policy = {"obs": policy_obs, "actions": policy_act}
    before, _ = trainer.measure(policy, valid)
    trainer.update(policy, valid, passes=20)
    after, _ = trainer.measure(policy, valid)
    assert ((before["d_expert"] - before["d_policy"]).abs() < 0.2).all()
    for s in range(2):  # every seed learns
        assert after["disc_acc_expert"][s] > 0.95 and after["disc_acc_policy"][s] > 0.95
        assert after["d_expert"][s] > 0.85 > 0.15 > after["d_policy"][s]


def test_gradient_penalty_is_added_and_finite():
    disc = Discriminator(4, ActionSpec(True, 2), seeds=[0, 1])
    g = torch.Generator().manual_seed(0)
    o, a = torch.randn(2, 16, 4, generator=g), torch.randint(0, 2, (2, 16), generator=g)
    valid = torch.ones(2, 16, dtype=torch.bool)
    alpha = torch.rand(2, 16, 1, generator=g)
    plain, _ = discriminator_loss(disc, o, a, o + 1, a, valid)
    penalised, stats = discriminator_loss(disc, o, a, o + 1, a, valid, grad_penalty=10.0, alpha=alpha)
    assert (stats["grad_penalty"] > 0).all() and torch.isfinite(penalised).all()
    torch.testing.assert_close(penalised, plain + 10.0 * stats["grad_penalty"], rtol=1e-5, atol=1e-6)


def test_gradient_penalty_against_a_hand_computation():
    disc = Discriminator(4, ActionSpec(True, 2), seeds=[0, 1])
    g = torch.Generator().manual_seed(1)
    eo, ea = torch.randn(2, 6, 4, generator=g), torch.randint(0, 2, (2, 6), generator=g)
    po, pa = torch.randn(2, 6, 4, generator=g), torch.randint(0, 2, (2, 6), generator=g)
    valid = torch.tensor([[True] * 6, [True, True, True, False, True, True]])
    alpha = torch.rand(2, 6, 1, generator=g)
    _, stats = discriminator_loss(disc, eo, ea, po, pa, valid, grad_penalty=1.0, alpha=alpha)
    for s in range(2):
        one = disc.single(s)
        x_hat = alpha[s] * one.inputs(eo[s], ea[s]) + (1 - alpha[s]) * one.inputs(po[s], pa[s])
        x_hat.requires_grad_(True)
        (grad,) = torch.autograd.grad(one.net(x_hat.unsqueeze(0)).sum(), x_hat)
        expected = ((grad.norm(dim=-1) - 1) ** 2)[valid[s]].mean()
        assert stats["grad_penalty"][s].item() == pytest.approx(expected.item(), rel=1e-4)


def test_rollout_marks_autoreset_steps_invalid_and_counts_true_episode_returns():
    policy = ActorCritic(4, ActionSpec(True, 2), seeds=[0, 1])
    collector = RolloutCollector("CartPole-v1", 3, policy)
    try:
        rollout = collector.collect(120)
    finally:
        collector.close()
    assert rollout.obs.shape == (120, 2, 3, 4) and rollout.actions.shape == (120, 2, 3)
    assert rollout.per_seed("obs").shape == (2, 360, 4)
    torch.testing.assert_close(rollout.per_seed("obs")[1, 3 * 7 + 2], rollout.obs[7, 1, 2], rtol=0, atol=0)
    dones = rollout.dones.numpy()
    valid = rollout.valid.numpy()
    # exactly the step after each episode end is an autoreset step, and only those
    expected_invalid = np.zeros_like(valid)
    expected_invalid[1:] = dones[:-1]
    np.testing.assert_array_equal(~valid, expected_invalid)
    assert not rollout.rewards.numpy()[~valid].any()  # the env pays nothing on a reset step
    # each seed's finished episodes: a return equal to its number of valid steps (CartPole pays 1 per step)
    assert len(rollout.episode_returns) == len(rollout.episode_lengths) == 2
    for s in range(2):
        returns, lengths = rollout.episode_returns[s], rollout.episode_lengths[s]
        assert len(returns) == int(dones[:, s][valid[:, s]].sum()) > 3
        assert all(r == length for r, length in zip(returns, lengths, strict=True))
    assert rollout.episode_returns[0] != rollout.episode_returns[1]  # the seeds run their own episodes
