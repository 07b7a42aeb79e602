"""AIRL: the discriminator's structure f = g(s) + gamma h(s') - h(s), the absorbing state, the
learner's reward, the exported g, and training (seed-batched like GAIL)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gail_helpers import airl
from gail_helpers.airl import (
    AIRLDiscriminator,
    AIRLRewardModel,
    StateReward,
    StateRewardModel,
    learned_reward,
    load_reward,
    save_reward,
    train_airl,
    train_on_reward,
    with_absorbing_rows,
)
from gail_helpers.config import AIRLConfig, GAILConfig, PPOConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.errors import DataFileError, DemonstrationError, InputError
from gail_helpers.experts import load_demonstrations
from gail_helpers.gail import train_gail
from gail_helpers.rollout import Rollout
from gail_helpers.training import train_ppo

GAMMA = 0.9
TINY = PPOConfig(total_steps=1_024, num_envs=4, num_steps=128, eval_every=0)


def transitions(seeds: int = 2, batch: int = 5) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "obs": torch.randn(seeds, batch, 4, generator=g),
        "actions": torch.randint(2, (seeds, batch), generator=g),
        "next_obs": torch.randn(seeds, batch, 4, generator=g),
        "terminated": torch.tensor([[False, True, False, False, True]] * seeds),
        "logprobs": -torch.rand(seeds, batch, generator=g),
    }


def test_f_is_g_plus_discounted_potential_difference_with_the_absorbing_state_after_termination():
    disc = AIRLDiscriminator(4, 8, GAMMA, [0, 1])
    t = with_absorbing_rows(transitions(), 2)  # 5 steps, then 2 absorbing self-loops
    f = disc.f(t)
    g, h = disc.g, disc.h
    g_abs, h_abs = g.absorbing_value(), h.absorbing_value()
    with torch.no_grad():
        for s in range(2):
            for i in range(5):
                obs, nxt = t["obs"][s, i][None, None].expand(2, 1, 4), t["next_obs"][s, i][None, None].expand(2, 1, 4)
                h_next = h_abs[s] if t["terminated"][s, i] else h(nxt)[s, 0]
                expected = g(obs)[s, 0] + GAMMA * h_next - h(obs)[s, 0]
                assert f[s, i].item() == pytest.approx(expected.item(), abs=1e-5)
            for i in (5, 6):  # s_abs -> s_abs, whatever the (zero) obs
                expected = g_abs[s] + GAMMA * h_abs[s] - h_abs[s]
                assert f[s, i].item() == pytest.approx(expected.item(), abs=1e-5)


def test_the_logit_is_f_minus_log_pi_and_the_absorbing_state_has_nothing_to_choose():
    disc = AIRLDiscriminator(4, 8, GAMMA, [0, 1])
    t = with_absorbing_rows(transitions(), 2)
    logprobs = torch.full((2, 7), -0.7)
    logits = disc(t, logprobs)
    f = disc.f(t)
    torch.testing.assert_close(logits[:, :5], f[:, :5] + 0.7)
    torch.testing.assert_close(logits[:, 5:], f[:, 5:])  # pi = 1 in s_abs: log pi = 0


def test_absorbing_rows_are_appended_with_zeros_and_flagged():
    t = transitions(seeds=3, batch=5)
    out = with_absorbing_rows(t, 4)
    assert out["obs"].shape == (3, 9, 4) and out["actions"].shape == (3, 9)
    assert out["absorbing"].sum().item() == 3 * 4 and not out["absorbing"][:, :5].any()
    assert torch.equal(out["obs"][:, :5], t["obs"]) and (out["obs"][:, 5:] == 0).all()
    shared = with_absorbing_rows({k: v[0] for k, v in t.items()}, 2)  # the expert's: no seed axis
    assert shared["obs"].shape == (7, 4) and shared["absorbing"].tolist() == [False] * 5 + [True] * 2


def test_g_reads_the_absorbing_flag_not_the_observation():
    g = StateReward(4, 8, [3])
    obs = torch.randn(1, 6, 4)
    flag = torch.tensor([[True, False, True, False, False, False]])
    out = g(obs, flag)
    assert out[0, 0].item() == pytest.approx(out[0, 2].item())  # two absorbing rows, different obs
    assert out[0, 0].item() == pytest.approx(g.absorbing_value()[0].item())
    assert out[0, 1].item() == pytest.approx(g(obs[:, 1:2])[0, 0].item())


def rollout_with(terminated: list[bool]) -> Rollout:
    steps = len(terminated)
    g = torch.Generator().manual_seed(1)
    zeros = torch.zeros(steps, 1, 1)
    return Rollout(
        obs=torch.randn(steps, 1, 1, 4, generator=g), actions=torch.zeros(steps, 1, 1, dtype=torch.int64),
        logprobs=torch.full((steps, 1, 1), -0.5), values=zeros, rewards=zeros,
        terminated=torch.tensor(terminated).view(steps, 1, 1), truncated=torch.zeros(steps, 1, 1, dtype=torch.bool),
        valid=torch.ones(steps, 1, 1, dtype=torch.bool), last_obs=torch.randn(1, 1, 4, generator=g),
        last_value=torch.zeros(1, 1),
    )


def test_a_terminated_step_adds_what_the_absorbing_state_is_worth_forever():
    reward = StateReward(4, 8, [0])
    model = StateRewardModel(reward, gamma=GAMMA)
    r = rollout_with([False, True, False])
    rewards, _ = model.relabel(r)
    with torch.no_grad():
        g = reward(r.per_seed("obs"))[0]  # [T * N] = [T]
        tail = sum(GAMMA**k * reward.absorbing_value()[0] for k in range(1, 2_000))  # sum_k>=1 gamma^k g(s_abs)
    torch.testing.assert_close(rewards[:, 0, 0], g + torch.tensor([0.0, tail.item(), 0.0]), rtol=1e-4, atol=1e-4)


def test_airls_learner_reward_is_the_logit_plus_the_absorbing_tail(monkeypatch):
    demos = load_demonstrations("cartpole_styled").take(2)
    result = train_airl(demos, AIRLConfig(ppo=TINY.replace(total_steps=1_000)), progress=False)
    model: AIRLRewardModel = result.reward_model
    monkeypatch.setattr(model.trainer, "update", lambda *a: None)  # relabel only, D as trained
    r = rollout_with([False, True, False])
    rewards, stats = model.relabel(r)
    disc = model.discriminator
    t = with_absorbing_rows({k: r.per_seed(k) for k in ("obs", "actions", "next_obs", "terminated")}, 0)
    with torch.no_grad():
        logits = disc(t, r.per_seed("logprobs"))[0]
        tail = disc.absorbing_tail()[0]
    torch.testing.assert_close(rewards[:, 0, 0], logits + torch.tensor([0.0, tail.item(), 0.0]))
    assert {"d_expert", "d_policy", "g_policy", "g_absorbing"} <= set(stats)


def test_the_absorbing_tail_is_the_discounted_sum_of_its_reward():
    disc = AIRLDiscriminator(4, 8, GAMMA, [0])
    with torch.no_grad():
        r_abs = disc.g.absorbing_value() + GAMMA * disc.h.absorbing_value() - disc.h.absorbing_value()
        assert disc.absorbing_tail().item() == pytest.approx(r_abs.item() * GAMMA / (1 - GAMMA), rel=1e-5)


# ---- training -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_run():
    """Two seeds of AIRL for 4 iterations on the styled expert."""
    config = AIRLConfig(ppo=TINY.replace(total_steps=2_048, seed=5, num_seeds=2))
    return train_airl(load_demonstrations("cartpole_styled"), config, progress=False)


def test_airls_discriminator_learns_to_tell_the_expert_from_a_fresh_learner(short_run):
    for h in short_run.histories:
        assert h.rows[0]["d_expert"] > h.rows[0]["d_policy"]
        assert h.rows[-1]["d_expert"] - h.rows[-1]["d_policy"] > 0.3  # the styled expert is easy to tell apart
        assert h.rows[-1]["g_absorbing"] < h.rows[0]["g_absorbing"]  # ending early is learned to be bad


def test_seed_index_1_of_a_batched_airl_run_is_a_run_of_its_seed_alone():
    demos = load_demonstrations("cartpole_styled").take(3)
    batched = train_airl(demos, AIRLConfig(ppo=TINY.replace(seed=5, num_seeds=3)), progress=False)
    alone = train_airl(demos, AIRLConfig(ppo=TINY.replace(seed=6)), progress=False)
    for key in ("d_expert", "d_policy", "disc_loss", "g_policy", "reward_mean", "policy_loss"):
        assert batched.histories[1].rows[0][key] == pytest.approx(alone.history.rows[0][key], rel=1e-4, abs=1e-6), key
    g_b, g_a = learned_reward(batched).single(1), learned_reward(alone)
    obs = torch.randn(10, 4)
    torch.testing.assert_close(g_b(obs), g_a(obs), rtol=1e-4, atol=1e-5)


def test_the_learned_reward_trains_fresh_learners_one_per_seed(short_run):
    g = learned_reward(short_run)
    result = train_on_reward(g, TINY.replace(seed=5, num_seeds=2), "CartPole-v1", progress=False)
    assert result.seeds == [5, 6] and len(result.histories) == 2
    with pytest.raises(InputError, match=r"the learned reward holds 2 seeds and the learners 3"):
        train_on_reward(g, TINY.replace(num_seeds=3), "CartPole-v1", progress=False)


def test_learned_reward_is_a_copy_and_a_plain_function(short_run):
    g = learned_reward(short_run)
    before = g.as_function(1)(np.zeros((3, 4), dtype=np.float32))
    with torch.no_grad():
        short_run.reward_model.discriminator.g.net[0].weight.add_(1.0)  # training on would change D, not g
    after = g.as_function(1)(np.zeros((3, 4), dtype=np.float32))
    np.testing.assert_array_equal(before, after)
    assert before.shape == (3,) and before.dtype == np.float32
    with pytest.raises(InputError, match=r"obs must be a finite array \[batch, 4\]"):
        g.as_function(0)(np.zeros(4))
    with pytest.raises(InputError, match=r"index"):
        g.as_function(2)


def test_only_an_airl_result_has_a_reward_to_export():
    gail = train_gail(load_demonstrations("cartpole").take(1), GAILConfig(ppo=TINY.replace(total_steps=1_000)),
                      progress=False)
    with pytest.raises(InputError, match="only AIRL learns a reward g"):
        learned_reward(gail)


def test_demonstrations_without_their_endings_are_refused_with_the_fix():
    d = load_demonstrations("cartpole_styled")
    old = Demonstrations(d.obs, d.actions, d.episode_lengths, d.episode_returns, d.env_id)
    with pytest.raises(DemonstrationError, match=r"do not say how their episodes ended.*record_demonstrations"):
        train_airl(old, AIRLConfig(ppo=TINY), progress=False)


def test_a_saved_reward_loads_with_the_same_values(short_run, tmp_path):
    g = learned_reward(short_run)
    save_reward(g, tmp_path / "g.pt", note="styled")
    back, meta = load_reward(tmp_path / "g.pt")
    obs = torch.randn(7, 4)
    torch.testing.assert_close(back(obs), g(obs))
    torch.testing.assert_close(back.absorbing_value(), g.absorbing_value())
    assert meta["note"] == "styled" and back.seeds == [5, 6]


def test_a_reward_file_that_does_not_fit_its_metadata_is_refused(short_run, tmp_path):
    save_reward(learned_reward(short_run), tmp_path / "g.pt")
    meta = (tmp_path / "g.json").read_text().replace('"obs_dim": 4', '"obs_dim": 6')
    (tmp_path / "g.json").write_text(meta)
    with pytest.raises(DataFileError, match=r"g\.pt does not fit the architecture in its \.json"):
        load_reward(tmp_path / "g.pt")
    with pytest.raises(DataFileError, match=r"reward file .*missing\.pt is missing"):
        load_reward(tmp_path / "missing.pt")


def test_a_kernel_interrupt_returns_the_finished_iterations(monkeypatch):
    calls = {"n": 0}
    original = airl.AIRLRewardModel.relabel

    def interrupt_third(self, rollout):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, rollout)

    monkeypatch.setattr(airl.AIRLRewardModel, "relabel", interrupt_third)
    result = train_airl(load_demonstrations("cartpole_styled").take(1), AIRLConfig(ppo=TINY.replace(total_steps=4_096)),
                        progress=False)
    assert result.stop_reason == "interrupted" and len(result.history) == 2
    assert math.isfinite(result.history.rows[-1]["d_expert"])
    assert isinstance(learned_reward(result), StateReward)


def test_train_airl_needs_an_airl_config():
    with pytest.raises(Exception, match="train_airl needs an AIRLConfig, got GAILConfig"):
        train_airl(load_demonstrations("cartpole_styled"), GAILConfig(), progress=False)


def test_a_frozen_gail_reward_never_trains_its_discriminator_again():
    demos = load_demonstrations("cartpole").take(1)
    run = train_gail(demos, GAILConfig(ppo=TINY), progress=False)
    before = {k: v.clone() for k, v in run.discriminator.state_dict().items()}
    result = train_ppo(TINY, "CartPole-v1", reward_model=run.reward_model.frozen(), progress=False)
    for k, v in run.discriminator.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert "d_policy" in result.history.columns  # D is still measured on the fresh learner's pairs
