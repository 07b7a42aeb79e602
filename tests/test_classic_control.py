"""Beyond CartPole (notebook 09): the Gaussian policy learns Pendulum-v1, the shipped Pendulum-v1,
MountainCar and Acrobot-v1 experts load safely and reach their recorded returns, their demonstrations
fit their environments, and GAIL's discriminator sees continuous actions as the environment does."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from gail_helpers.config import PENDULUM_GAIL_PPO, GAILConfig
from gail_helpers.discriminator import Discriminator
from gail_helpers.envs import SCALED_MOUNTAINCAR, env_signature
from gail_helpers.errors import InputError
from gail_helpers.evaluation import run_episodes, run_episodes_per_seed
from gail_helpers.experts import (
    CHECK_EPISODES,
    CHECK_SEED,
    CONTROLLERS,
    DEMO_EPISODES,
    DISTIL_CONFIG,
    EXPERT_ENVS,
    EXPERT_POLICIES,
    PENDULUM_EXPERT_CONFIG,
    load_demonstrations,
    load_expert,
    regenerate,
)
from gail_helpers.gail import train_gail
from gail_helpers.policies import ActorCritic, load_policy
from gail_helpers.seeding import EVAL_SEED_OFFSET
from gail_helpers.training import train_ppo

NEW = ["pendulum", "mountaincar", "acrobot"]
GOOD_ENOUGH = {"pendulum": -200.0, "mountaincar": -125.0, "acrobot": -100.0}  # a random policy: -1200, -200, -500
TIME_LIMIT = {"pendulum": 200, "mountaincar": 200, "acrobot": 500}


def test_ppo_with_the_gaussian_policy_improves_on_pendulum_within_a_small_budget():
    config = PENDULUM_EXPERT_CONFIG.replace(total_steps=16_384, eval_every=0, seed=0, num_seeds=2)
    obs_dim, spec = env_signature("Pendulum-v1")
    initial = ActorCritic(obs_dim, spec, config.hidden_size, config.seeds)  # the policies train_ppo starts from
    before = np.array([b.mean_return for b in run_episodes_per_seed(initial, "Pendulum-v1", 10, EVAL_SEED_OFFSET)])
    result = train_ppo(config, "Pendulum-v1", progress=False)
    after = np.array([b.mean_return for b in run_episodes_per_seed(result.policy, "Pendulum-v1", 10, EVAL_SEED_OFFSET)])
    assert (before < -1_000).all(), before  # untrained: the pendulum hangs and spins
    assert (after - before > 150).all(), (before, after)  # measured: 284 to 307 on seeds 0, 1, 5, 6


@pytest.mark.parametrize("name", NEW)
def test_a_shipped_expert_loads_weights_only_and_reaches_its_recorded_return(name):
    path = EXPERT_POLICIES[name]
    state = torch.load(path, weights_only=True)  # plain tensors: nothing in the file can run code
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    policy, meta = load_policy(path)
    env_id = EXPERT_ENVS[name]
    assert meta["env_id"] == env_id
    policy.check_env(env_id)
    returns = run_episodes(policy, env_id, CHECK_EPISODES, CHECK_SEED).mean_return
    assert returns == pytest.approx(meta["greedy_return_50_episodes"], abs=3.0)
    assert returns >= GOOD_ENOUGH[name]
    assert load_expert(name).state_dict().keys() == state.keys()


def test_the_pendulum_expert_was_trained_with_the_config_that_regenerates_it():
    meta = json.loads(EXPERT_POLICIES["pendulum"].with_suffix(".json").read_text())
    assert meta["ppo_config"] == PENDULUM_EXPERT_CONFIG.as_dict()


@pytest.mark.parametrize("name", ["mountaincar", "acrobot"])
def test_a_distilled_expert_acts_like_its_controller(name):
    meta = json.loads(EXPERT_POLICIES[name].with_suffix(".json").read_text())
    controller = CONTROLLERS[name]
    assert meta["distilled_from"] == type(controller).__name__
    assert meta["bc_config"] == DISTIL_CONFIG.as_dict()
    env_id = EXPERT_ENVS[name]
    assert run_episodes(controller, env_id, CHECK_EPISODES, CHECK_SEED).mean_return == meta[
        "controller_greedy_return_50_episodes"]
    assert abs(meta["greedy_return_50_episodes"] - meta["controller_greedy_return_50_episodes"]) <= 5
    demos = load_demonstrations(name)
    agreement = (load_expert(name).predict(demos.obs) == controller(demos.obs)).mean()
    assert agreement >= 0.98


@pytest.mark.parametrize("name", NEW)
def test_shipped_demonstrations_fit_their_env_and_are_their_experts_episodes(name):
    demos = load_demonstrations(name)
    env_id = EXPERT_ENVS[name]
    assert demos.env_id == env_id
    demos.check_env(env_id)
    assert demos.n_episodes == DEMO_EPISODES
    assert demos.final_obs is not None  # format 2: how each episode ended
    meta = json.loads(EXPERT_POLICIES[name].with_suffix(".json").read_text())
    assert demos.mean_return == pytest.approx(meta["greedy_return_50_episodes"], abs=25.0)
    if name == "pendulum":  # a fixed horizon: every episode is cut by the time limit
        assert (demos.episode_lengths == TIME_LIMIT[name]).all() and not demos.terminated.any()
    else:  # every episode ends at the goal, well before the time limit
        assert demos.terminated.all() and (demos.episode_lengths < TIME_LIMIT[name]).all()
        last = {"mountaincar": -1, "acrobot": 0}[name]  # -1 per step; Acrobot's step into the goal pays 0
        np.testing.assert_array_equal(demos.episode_returns, -(demos.episode_lengths - 1) + last)


def test_the_scaled_mountaincar_is_mountaincar_v0_with_observations_in_minus_one_to_one():
    raw, scaled = gym.make("MountainCar-v0"), gym.make(SCALED_MOUNTAINCAR)
    o_raw, _ = raw.reset(seed=5)
    o_scaled, _ = scaled.reset(seed=5)
    low, high = raw.observation_space.low, raw.observation_space.high
    rng = np.random.default_rng(0)
    for action in rng.integers(0, 3, 300):
        np.testing.assert_allclose(o_scaled, (o_raw - (low + high) / 2) / ((high - low) / 2), atol=1e-6)
        assert scaled.observation_space.contains(o_scaled)
        o_raw, r_raw, term_raw, trunc_raw, _ = raw.step(action)
        o_scaled, r_scaled, term_scaled, trunc_scaled, _ = scaled.step(action)
        assert (r_raw, term_raw, trunc_raw) == (r_scaled, term_scaled, trunc_scaled)
        if term_raw or trunc_raw:
            break
    assert trunc_raw  # a random policy never reaches the flag: cut at MountainCar-v0's 200 steps


def test_the_discriminator_sees_continuous_actions_clipped_as_the_environment_applies_them():
    _, spec = env_signature("Pendulum-v1")
    actions = torch.tensor([[-3.0], [-2.0], [0.5], [2.0], [7.0]])
    clipped = torch.tensor([[-2.0], [-2.0], [0.5], [2.0], [2.0]])
    torch.testing.assert_close(spec.encode(actions), clipped)
    disc = Discriminator(3, spec, seeds=[0, 1])
    obs = torch.randn(5, 3)
    torch.testing.assert_close(disc(obs, actions), disc(obs, clipped))


def test_gail_trains_a_gaussian_policy_on_pendulum_from_the_shipped_demonstrations():
    config = GAILConfig(ppo=PENDULUM_GAIL_PPO.replace(total_steps=2_048, num_seeds=2, eval_every=2_048,
                                                      eval_episodes=2))
    result = train_gail(load_demonstrations("pendulum"), config, progress=False)
    assert not result.policy.action_spec.discrete and len(result.histories) == 2
    for history in result.histories:
        assert np.isfinite(history["eval_return"][-1]) and 0 < history["d_expert"][-1] < 1


def test_regenerate_refuses_unknown_experts_and_reproduces_a_distilled_one(tmp_path):
    with pytest.raises(InputError, match=r"no expert named \['nope'\]"):
        regenerate(tmp_path, ["nope"])
    figures = regenerate(tmp_path, ["mountaincar"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mountaincar_expert.json", "mountaincar_expert.pt", "mountaincar_expert_demos.npz"]
    shipped = json.loads(EXPERT_POLICIES["mountaincar"].with_suffix(".json").read_text())
    assert figures["mountaincar_expert_greedy_return"] == pytest.approx(shipped["greedy_return_50_episodes"], abs=3)
    assert figures["mountaincar_demo_return"] == pytest.approx(load_demonstrations("mountaincar").mean_return, abs=3)
