"""A kernel interrupt (KeyboardInterrupt) during any long-running trainer returns what was learned so far.

Each test raises the interrupt at a chosen point inside the trainer and checks that the partial
result is exactly the result of a run that was asked to stop there: same weights, same history.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers import bc, tabular, training
from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig, GAILConfig, GridworldConfig, MaxEntIRLConfig, PPOConfig
from gail_helpers.discriminator import DiscriminatorTrainer
from gail_helpers.experts import load_demonstrations
from gail_helpers.gail import train_gail
from gail_helpers.gridworld import make_course_gridworld, sample_trajectories
from gail_helpers.tabular import maxent_irl, soft_value_iteration, value_iteration
from gail_helpers.training import train_ppo

# 4 iterations of 4 envs x 64 steps; no evaluation unless a test asks for it
TINY = PPOConfig(total_steps=1_024, num_envs=4, num_steps=64, update_epochs=1, eval_every=0, seed=5)


def interrupt_on_call(monkeypatch, owner: object, name: str, call: int) -> list[int]:
    """Wrap ``owner.name`` so that its ``call``-th call raises KeyboardInterrupt; returns the call counter."""
    original = getattr(owner, name)
    calls = [0]

    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)
    return calls


def stop_after(iterations: int):
    """A callback that stops training cleanly after ``iterations`` iterations."""
    return lambda result: len(result.histories[0]) >= iterations


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def rows(result) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in result.histories[0].rows]


def test_ppo_interrupted_in_its_third_iteration_returns_the_first_two(monkeypatch):
    reference = train_ppo(TINY, callback=stop_after(2), progress=False)
    interrupt_on_call(monkeypatch, training, "_iteration", 3)
    result = train_ppo(TINY, progress=False)
    assert result.stop_reason == "interrupted" and not result.completed
    assert rows(result) == rows(reference) and len(rows(result)) == 2
    assert same_weights(result.policy, reference.policy)


def test_ppo_interrupted_during_an_evaluation_keeps_the_row_just_trained(monkeypatch):
    config = TINY.replace(eval_every=256)  # an evaluation after every iteration
    interrupt_on_call(monkeypatch, training, "run_episodes_per_seed", 2)
    result = train_ppo(config, progress=False)
    assert result.stop_reason == "interrupted"
    history = result.histories[0]
    assert len(history) == 2, "the second iteration trained: its row must be kept"
    assert "eval_return" in history.rows[0] and "eval_return" not in history.rows[1]
    assert history.rows[1]["env_steps"] == 512


def test_gail_interrupted_in_a_discriminator_update_returns_policy_and_discriminator(monkeypatch):
    demos = load_demonstrations().take(2)
    config = GAILConfig(disc_updates=1, ppo=TINY)
    reference = train_gail(demos, config, callback=stop_after(1), progress=False)
    interrupt_on_call(monkeypatch, DiscriminatorTrainer, "update", 2)
    result = train_gail(demos, config, progress=False)
    assert result.stop_reason == "interrupted"
    assert rows(result) == rows(reference) and len(rows(result)) == 1
    assert "d_expert" in result.histories[0].rows[0]
    assert same_weights(result.policy, reference.policy)
    assert result.discriminator is not None and same_weights(result.discriminator, reference.discriminator)


def test_bc_interrupted_at_the_start_of_its_third_epoch_returns_two_epochs(monkeypatch):
    demos = load_demonstrations().take(1)
    config = BCConfig(epochs=5, batch_size=128, num_seeds=2)
    reference = train_bc(demos, config.replace(epochs=2))
    interrupt_on_call(monkeypatch, bc, "minibatch_indices", 3)
    result = train_bc(demos, config)
    assert result.stop_reason == "interrupted" and reference.stop_reason == "completed"
    assert [h.rows for h in result.histories] == [h.rows for h in reference.histories]
    assert [h["epoch"].tolist() for h in result.histories] == [[0, 1], [0, 1]]
    assert same_weights(result.policy, reference.policy)


@pytest.fixture(scope="module")
def irl_problem():
    world = make_course_gridworld(GridworldConfig(size=4))
    config = MaxEntIRLConfig(iterations=8, horizon=6)
    expert = soft_value_iteration(world, world.reward, config.horizon).policy
    demos = sample_trajectories(world, expert, 200, config.horizon, seed=0)
    return world, config, demos


def test_maxent_irl_interrupted_returns_the_reward_after_the_steps_completed(monkeypatch, irl_problem):
    world, config, demos = irl_problem
    reference = maxent_irl(world, demos, config.replace(iterations=3), true_reward=world.reward)
    # each step calls expected_state_visitation once: the 4th call is inside step 4
    interrupt_on_call(monkeypatch, tabular, "expected_state_visitation", 4)
    result = maxent_irl(world, demos, config, true_reward=world.reward)
    assert result.stop_reason == "interrupted" and reference.stop_reason == "completed"
    np.testing.assert_array_equal(result.theta, reference.theta)
    np.testing.assert_array_equal(result.reward, reference.reward)
    np.testing.assert_array_equal(result.policy, reference.policy)
    for name in ("grad_norm", "pearson"):
        np.testing.assert_array_equal(result.history[name], reference.history[name])
        assert len(result.history[name]) == 3


def test_maxent_irl_interrupted_before_its_first_step_returns_the_zero_reward(monkeypatch, irl_problem):
    world, config, demos = irl_problem
    interrupt_on_call(monkeypatch, tabular, "expected_state_visitation", 1)
    result = maxent_irl(world, demos, config)
    assert result.stop_reason == "interrupted"
    assert (result.theta == 0).all() and len(result.history["grad_norm"]) == 0
    np.testing.assert_allclose(result.policy.sum(-1), 1.0)


class InterruptingTransitions(np.ndarray):
    """P whose ``calls``-th product ``P @ V`` raises KeyboardInterrupt, as a kernel interrupt would."""

    calls = 0
    interrupt_at = 0

    def __matmul__(self, other):
        type(self).calls += 1
        if type(self).calls == type(self).interrupt_at:
            raise KeyboardInterrupt
        return np.asarray(self) @ other


def test_value_iteration_interrupted_returns_the_values_after_the_backups_done():
    world = make_course_gridworld(GridworldConfig(size=4, gamma=0.99))
    P = world.P
    V = np.zeros(world.n_states)
    for _ in range(5):  # five Bellman backups by hand
        V = (world.reward[:, None] + world.gamma * (P @ V)).max(axis=1)
    world.P = P.view(InterruptingTransitions)
    InterruptingTransitions.calls, InterruptingTransitions.interrupt_at = 0, 6
    result = value_iteration(world)
    assert result.stop_reason == "interrupted" and result.iterations == 5
    np.testing.assert_allclose(result.V, V)
    np.testing.assert_allclose(result.Q, world.reward[:, None] + world.gamma * (P @ V))
    assert (result.policy.sum(axis=1) == 1).all() and set(np.unique(result.policy)) == {0.0, 1.0}


def test_value_iteration_run_to_convergence_says_so():
    result = value_iteration(make_course_gridworld(GridworldConfig(size=4)))
    assert result.stop_reason == "converged" and result.iterations > 5
