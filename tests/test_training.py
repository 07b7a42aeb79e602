"""PPO, GAIL and behaviour cloning learn; training is reproducible, interruptible and fails loudly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig, GAILConfig, PPOConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.discriminator import Discriminator
from gail_helpers.errors import DemonstrationError, TrainingDivergedError
from gail_helpers.evaluation import run_episodes
from gail_helpers.experts import load_demonstrations
from gail_helpers.gail import train_gail
from gail_helpers.policies import ActionSpec, ActorCritic
from gail_helpers.ppo import ppo_loss, ppo_update
from gail_helpers.rewards import reward_from_logits
from gail_helpers.training import train_ppo

SMALL = PPOConfig(total_steps=4_096, eval_every=0, seed=3)


def test_ppo_improves_cartpole_within_a_small_budget():
    config = PPOConfig(total_steps=15_360, eval_every=5_120, seed=1)
    torch.manual_seed(config.seed)  # the policy train_ppo starts from
    before = run_episodes(ActorCritic(4, ActionSpec(True, 2)), "CartPole-v1", 10, seed=1_000_001).mean_return
    result = train_ppo(config, progress=False)
    _, returns = result.history.evaluations()
    assert returns[-1] >= 300 and returns[-1] > before + 100, (before, returns)


def test_same_seed_gives_an_identical_history():
    a = train_ppo(SMALL, progress=False).history.without("seconds")
    b = train_ppo(SMALL, progress=False).history.without("seconds")
    c = train_ppo(SMALL.replace(seed=4), progress=False).history.without("seconds")
    assert a == b
    assert a != c


def test_a_kernel_interrupt_returns_the_partial_history_and_trained_policy():
    def interrupt_at_third(row, result):
        if row["iteration"] == 2:
            raise KeyboardInterrupt

    result = train_ppo(SMALL, callback=interrupt_at_third, progress=False)
    assert result.stop_reason == "interrupted" and not result.completed
    assert len(result.history) == 3  # iterations 0-2 finished before the interrupt; all are kept
    torch.manual_seed(SMALL.seed)
    fresh = ActorCritic(4, ActionSpec(True, 2))
    assert any(not torch.equal(p, q) for p, q in zip(result.policy.parameters(), fresh.parameters(), strict=True))


def test_a_callback_can_stop_training_early():
    result = train_ppo(SMALL, callback=lambda row, _: row["iteration"] >= 1, progress=False)
    assert result.stop_reason == "stopped"
    assert len(result.history) == 2


def test_nan_rewards_stop_training_with_an_error_naming_where():
    class NaNRewards:
        def relabel(self, rollout):
            return torch.full_like(rollout.rewards, float("nan")), {}

    with pytest.raises(TrainingDivergedError, match="rewards at iteration 0: reward_mean is not finite"):
        train_ppo(SMALL, reward_model=NaNRewards(), progress=False)


def test_a_nan_loss_names_the_update_epoch_and_minibatch():
    policy = ActorCritic(4, ActionSpec(True, 2))
    with torch.no_grad():
        policy.critic[0].weight.fill_(float("nan"))
    batch = {
        "obs": torch.randn(64, 4), "actions": torch.randint(0, 2, (64,)), "logprobs": torch.full((64,), -0.7),
        "advantages": torch.randn(64), "returns": torch.randn(64),
    }
    optimizer = torch.optim.Adam(policy.parameters())
    with pytest.raises(TrainingDivergedError, match=r"PPO update, epoch 0, minibatch 0: .*value_loss.*learning_rate"):
        ppo_update(policy, optimizer, batch, SMALL, torch.Generator().manual_seed(0))


def test_gaussian_ppo_update_raises_the_likelihood_of_advantaged_actions():
    torch.manual_seed(0)
    spec = ActionSpec(False, 1, low=(-2.0,), high=(2.0,))
    policy = ActorCritic(3, spec)
    obs = torch.randn(256, 3)
    actions = torch.full((256, 1), 1.0)
    with torch.no_grad():
        old = policy.distribution(obs).log_prob(actions)
    batch = {"obs": obs, "actions": actions, "logprobs": old, "advantages": torch.ones(256) + torch.rand(256),
             "returns": torch.zeros(256)}
    config = PPOConfig(norm_adv=False, update_epochs=4, num_minibatches=2, learning_rate=1e-2)
    ppo_update(policy, torch.optim.Adam(policy.parameters(), lr=1e-2), batch, config, torch.Generator())
    with torch.no_grad():
        new = policy.distribution(obs).log_prob(actions)
    assert (new > old).float().mean() > 0.9


@pytest.mark.parametrize(("ratio", "advantage", "clipped"), [(1.5, 1.0, True), (0.5, -1.0, True),
                                                               (1.5, -1.0, False), (0.5, 1.0, False)])
def test_the_clipped_surrogate_stops_the_gradient_only_beyond_the_clip_range_in_the_advantage_direction(
    ratio, advantage, clipped
):
    torch.manual_seed(0)
    policy = ActorCritic(4, ActionSpec(True, 2))
    obs, actions = torch.randn(32, 4), torch.randint(0, 2, (32,))
    with torch.no_grad():
        old = policy.distribution(obs).log_prob(actions) - torch.log(torch.tensor(ratio))  # pi / pi_old = ratio
    config = PPOConfig(norm_adv=False, vf_coef=0.0, ent_coef=0.0, clip_coef=0.2)
    loss, stats = ppo_loss(policy, obs, actions, old, torch.full((32,), advantage), torch.zeros(32), config)
    loss.backward()
    grad = sum(p.grad.abs().sum() for p in policy.actor.parameters())
    assert stats["clip_fraction"] == 1.0
    assert (grad == 0) == clipped


def test_ppo_runs_on_a_continuous_action_env():
    result = train_ppo(PPOConfig(total_steps=2_048, num_envs=4, eval_every=1_024, eval_episodes=2), "Pendulum-v1",
                       progress=False)
    assert not result.policy.action_spec.discrete
    assert np.isfinite(result.history["eval_return"][-1])


def test_gail_learns_cartpole_from_the_shipped_demonstrations():
    config = GAILConfig().replace(ppo={"total_steps": 20_480, "eval_every": 10_240, "seed": 1})
    result = train_gail(load_demonstrations("cartpole"), config, progress=False)
    _, returns = result.history.evaluations()
    assert returns[-1] >= 400, returns
    assert {"d_expert", "d_policy", "disc_loss", "disc_acc_expert"} <= set(result.history.columns)


def test_gail_rewards_are_minus_log_one_minus_d_of_the_trained_discriminator():
    seen = {}

    def keep(row, result):
        seen["row"], seen["disc"] = row, result.discriminator
        return True

    demos = load_demonstrations("cartpole")
    train_gail(demos, GAILConfig(ppo=SMALL), callback=keep, progress=False)
    # the mean relabelled reward is the mean of -log(1 - D) over the policy's pairs; for the expert's
    # pairs the reward is computed by the same formula from the same D
    obs, actions = demos.tensors()
    d = seen["disc"].prob(obs, actions)
    torch.testing.assert_close(
        reward_from_logits(torch.logit(d.double()), "-log(1-D)"), -torch.log1p(-d.double()), rtol=1e-6, atol=1e-6
    )
    assert 0 < seen["row"]["reward_mean"] < 5


def test_gail_refuses_demonstrations_from_another_environment():
    demos = load_demonstrations("cartpole")
    with pytest.raises(DemonstrationError, match=r"recorded on 'CartPole-v1', not 'Acrobot-v1'.*observations have 4"):
        train_gail(demos, GAILConfig(ppo=SMALL), env_id="Acrobot-v1", progress=False)


def test_gail_without_demonstrations_needs_an_env_and_still_trains():
    with pytest.raises(DemonstrationError, match="pass env_id"):
        train_gail(None, GAILConfig(ppo=SMALL), progress=False)
    result = train_gail(None, GAILConfig(ppo=SMALL), env_id="CartPole-v1", progress=False)
    assert np.isnan(result.history["d_expert"]).all()  # nothing to measure D on
    assert (result.history["d_policy"][1:] < 0.5).all()  # D learns to call the policy fake


def test_frozen_discriminator_keeps_its_initial_weights():
    config = GAILConfig(freeze_discriminator=True, ppo=SMALL)
    torch.manual_seed(SMALL.seed + 1)
    result = train_gail(load_demonstrations("cartpole"), config, progress=False)
    torch.manual_seed(SMALL.seed + 1)
    initial = Discriminator(4, ActionSpec(True, 2))
    for p, q in zip(result.discriminator.parameters(), initial.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    assert np.isfinite(result.history["disc_loss"]).all()  # D is still measured, only never trained


def test_behaviour_cloning_copies_the_expert():
    policy, history = train_bc(load_demonstrations("cartpole"), BCConfig(epochs=15))
    assert history["accuracy"][-1] > 0.9
    assert history["loss"][-1] < history["loss"][0]
    assert run_episodes(policy, "CartPole-v1", 5, seed=11).mean_return >= 400


def test_behaviour_cloning_refuses_inconsistent_demonstrations():
    demos = load_demonstrations("cartpole")
    five_dims = Demonstrations(np.zeros((3, 5), np.float32), np.zeros(3, np.int64), np.array([3]),
                               np.array([3.0], np.float32), "CartPole-v1")
    with pytest.raises(DemonstrationError, match="observations have 5 values, CartPole-v1 gives 4"):
        train_bc(five_dims)
    assert demos.n_episodes == 20
