"""The fixed-horizon CartPole control environment and the notebook display helpers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from gail_helpers.display import claim, show_source
from gail_helpers.envs import FIXED_HORIZON_CARTPOLE, env_signature, make_vector_env
from gail_helpers.evaluation import run_episodes
from gail_helpers.experts import load_demonstrations, load_expert
from gail_helpers.ppo import ppo_loss


def always_left(obs: np.ndarray) -> np.ndarray:
    return np.zeros(len(obs), dtype=np.int64)


def test_fixed_horizon_episodes_last_500_steps_and_pay_only_while_balanced():
    fixed = run_episodes(always_left, FIXED_HORIZON_CARTPOLE, 4, seed=0)
    standard = run_episodes(always_left, "CartPole-v1", 4, seed=0)
    assert (fixed.lengths == 500).all()
    assert (standard.lengths < 20).all()
    np.testing.assert_array_equal(fixed.returns, standard.returns)  # same start states, same fall


def test_fixed_horizon_single_env_matches_the_vector_env_rules():
    env = gym.make(FIXED_HORIZON_CARTPOLE)
    env.reset(seed=3)
    rewards, terminated = [], []
    for _ in range(500):
        _, r, term, trunc, _ = env.step(0)
        rewards.append(r)
        terminated.append(term)
        if trunc:
            break
    assert len(rewards) == 500 and not any(terminated)
    fall = rewards.index(0.0)
    assert 5 < fall < 20 and set(rewards[fall:]) == {0.0} and set(rewards[:fall]) == {1.0}


def test_fixed_horizon_vector_env_starts_each_new_episode_upright():
    envs = make_vector_env(FIXED_HORIZON_CARTPOLE, 2, seed=0)
    for _ in range(500):
        _, _, term, trunc, _ = envs.step(np.zeros(2, dtype=np.int64))
        assert not term.any()
    assert trunc.all()
    obs, reward, _, _, _ = envs.step(np.zeros(2, dtype=np.int64))  # the autoreset step
    assert (np.abs(obs) <= 0.05).all() and (reward == 0).all()
    _, reward, _, _, _ = envs.step(np.zeros(2, dtype=np.int64))
    assert (reward == 1).all()  # balanced again in the new episode


def test_expert_balances_the_fixed_horizon_cartpole_and_demos_transfer_only_when_allowed():
    assert run_episodes(load_expert(), FIXED_HORIZON_CARTPOLE, 3, seed=0).mean_return == 500
    assert env_signature(FIXED_HORIZON_CARTPOLE)[0] == 4
    demos = load_demonstrations("cartpole")
    with pytest.raises(Exception, match="recorded on 'CartPole-v1', not 'CartPoleFixedHorizon-v0'"):
        demos.check_env(FIXED_HORIZON_CARTPOLE)
    demos.check_env(FIXED_HORIZON_CARTPOLE, same_env_id=False)


def test_mean_observation_averages_every_step_of_every_episode():
    from gail_helpers.evaluation import EpisodeBatch

    batch = EpisodeBatch(np.array([2.0, 1.0]), [np.array([[0.0, 1.0], [2.0, 1.0]]), np.array([[4.0, 4.0]])],
                         [np.zeros(2), np.zeros(1)], np.zeros((2, 2)), np.zeros(2, dtype=bool))
    np.testing.assert_allclose(batch.mean_observation, [2.0, 2.0])  # steps weigh equally, not episodes


def test_show_source_shows_the_installed_lines_between_markers():
    md = show_source(ppo_loss, start="ratio = log_ratio.exp()", end="surrogate = mean(torch.min")
    text = md.data
    assert text.startswith("From `gail_helpers.ppo.ppo_loss`:")
    assert "ratio = log_ratio.exp()" in text and "surrogate = mean(torch.min(" in text
    assert "log_ratio = logprob - old_logprobs" not in text  # starts at the start marker
    assert "value_loss" not in text  # stops at the end marker
    with pytest.raises(ValueError, match=r"'no such line' does not occur in the source of gail_helpers\.ppo\.ppo_loss"):
        show_source(ppo_loss, start="no such line")


def test_show_source_of_a_whole_module():
    import gail_helpers.rewards

    assert show_source(gail_helpers.rewards, start="def reward_from_logits").data.startswith(
        "From `gail_helpers.rewards`:"
    )


def test_claim_prints_a_mark_without_numbers(capsys):
    assert claim("GAIL reaches 475", True)
    assert not claim("D drifts to 1/2", False)
    assert capsys.readouterr().out == "✓ GAIL reaches 475\n✗ NOT D drifts to 1/2\n"


def test_the_shipped_expert_was_trained_with_the_config_that_regenerates_it():
    import json

    from gail_helpers.experts import EXPERT_CONFIG, EXPERT_POLICY

    meta = json.loads(EXPERT_POLICY.with_suffix(".json").read_text())
    assert meta["ppo_config"] == EXPERT_CONFIG.as_dict()
    assert meta["greedy_return_50_episodes"] == 500.0


def test_changed_cartpoles_change_only_what_they_name():
    from gail_helpers.envs import CHANGED_CARTPOLES, make_vector_env

    def x_after_pushing_right(env_id: str) -> float:
        envs = make_vector_env(env_id, 4, seed=3)
        for _ in range(5):
            obs, *_ = envs.step(np.ones(4, dtype=np.int64))
        envs.close()
        return float(obs[:, 1].mean())  # cart velocity

    assert set(CHANGED_CARTPOLES) >= {"CartPoleWideStart-v0", "CartPoleReversedPush-v0", "CartPoleLongPole-v0"}
    assert x_after_pushing_right("CartPole-v1") > 0.5
    assert x_after_pushing_right("CartPoleReversedPush-v0") < -0.5  # the motor is wired the other way round
    wide = make_vector_env("CartPoleWideStart-v0", 64, seed=0)
    starts = wide.reset(seed=0)[0]
    assert np.abs(starts[:, 0]).max() > 1.0 and np.abs(starts[:, 0]).max() <= 1.5
    assert np.abs(starts[:, 1:]).max() <= 0.05  # only the cart's position starts wider
    wide.close()
    long_pole = make_vector_env("CartPoleLongPole-v0", 1, seed=0)
    assert long_pole.length == 1.0 and long_pole.polemass_length == pytest.approx(0.1)
    long_pole.close()
