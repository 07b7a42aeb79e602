"""Tests for the gridworld MDP, the tabular solvers, MaxEnt IRL and the gridworld plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gail_helpers.config import GridworldConfig, MaxEntIRLConfig
from gail_helpers.gridworld import (
    Gridworld,
    GridworldError,
    course_reward,
    make_course_gridworld,
    sample_trajectories,
)
from gail_helpers.plotting_gridworld import plot_grid_policy, plot_grid_values, plot_reward_comparison
from gail_helpers.tabular import (
    empirical_state_visitation,
    expected_state_visitation,
    maxent_irl,
    maxent_irl_benchmark,
    pearson,
    soft_value_iteration,
    value_iteration,
)

UP, DOWN, LEFT, RIGHT = range(4)


def small_world(size: int = 3, slip_prob: float = 0.0, gamma: float = 0.5) -> Gridworld:
    """A world with reward 1 in the bottom-right corner and 0 elsewhere."""
    reward = np.zeros(size * size)
    reward[-1] = 1.0
    return Gridworld(GridworldConfig(size=size, slip_prob=slip_prob, gamma=gamma), reward)


def uniform_policy(world: Gridworld) -> np.ndarray:
    return np.full((world.n_states, world.n_actions), 1.0 / world.n_actions)


# --- gridworld -------------------------------------------------------------------------------


@pytest.mark.parametrize("slip_prob", [0.0, 0.1, 0.5, 0.9])
def test_transition_rows_are_distributions(slip_prob: float) -> None:
    world = small_world(size=5, slip_prob=slip_prob)
    assert world.P.shape == (25, 4, 25)
    assert np.all(world.P >= 0)
    np.testing.assert_allclose(world.P.sum(axis=2), 1.0)


def test_no_slip_moves_deterministically_and_walls_block() -> None:
    world = small_world(size=3)
    centre = world.xy_to_state(1, 1)
    expected = {UP: (1, 0), DOWN: (1, 2), LEFT: (0, 1), RIGHT: (2, 1)}
    for action, (x, y) in expected.items():
        assert world.P[centre, action, world.xy_to_state(x, y)] == 1.0
    top_left = world.xy_to_state(0, 0)
    assert world.P[top_left, UP, top_left] == 1.0
    assert world.P[top_left, LEFT, top_left] == 1.0
    bottom_right = world.xy_to_state(2, 2)
    assert world.P[bottom_right, DOWN, bottom_right] == 1.0
    assert world.P[bottom_right, RIGHT, bottom_right] == 1.0


def test_slip_goes_to_the_other_three_directions_uniformly() -> None:
    world = small_world(size=3, slip_prob=0.3)
    centre = world.xy_to_state(1, 1)
    row = world.P[centre, RIGHT]
    assert row[world.xy_to_state(2, 1)] == pytest.approx(0.7)
    for x, y in [(1, 0), (1, 2), (0, 1)]:
        assert row[world.xy_to_state(x, y)] == pytest.approx(0.1)
    # In the top-left corner "up" stays put unless it slips down or right (a left slip hits the wall too).
    corner = world.xy_to_state(0, 0)
    assert world.P[corner, UP, corner] == pytest.approx(0.7 + 0.1)
    assert world.P[corner, UP, world.xy_to_state(0, 1)] == pytest.approx(0.1)
    assert world.P[corner, UP, world.xy_to_state(1, 0)] == pytest.approx(0.1)


def test_state_xy_round_trip_and_layout() -> None:
    world = small_world(size=4)
    for s in range(world.n_states):
        assert world.xy_to_state(*world.state_to_xy(s)) == s
    assert world.state_to_xy(1) == (1, 0)  # state 1 is the second cell of the top row
    assert world.xy_to_state(0, 1) == 4
    np.testing.assert_array_equal(world.features(), np.eye(16))
    np.testing.assert_allclose(world.start_dist.sum(), 1.0)


def test_course_gridworld_is_deterministic_and_structured() -> None:
    world = make_course_gridworld()
    again = make_course_gridworld()
    assert world.size == 8 and world.n_states == 64 and world.n_actions == 4
    np.testing.assert_array_equal(world.reward, again.reward)
    np.testing.assert_array_equal(world.P, again.P)
    assert np.argmax(world.reward) == world.xy_to_state(7, 7)  # the goal corner
    assert set(np.unique(world.reward)) == {-1.0, -0.05, 1.0}
    assert make_course_gridworld(GridworldConfig(size=5)).reward.shape == (25,)


def test_sample_trajectories_follow_the_policy_and_dynamics() -> None:
    world = small_world(size=3)
    always_right = np.zeros((world.n_states, world.n_actions))
    always_right[:, RIGHT] = 1.0
    traj = sample_trajectories(world, always_right, n=50, horizon=4, seed=0)
    assert traj.shape == (50, 4, 2)
    assert np.all(traj[:, :, 1] == RIGHT)
    xs, ys = traj[:, :, 0] % 3, traj[:, :, 0] // 3
    np.testing.assert_array_equal(xs[:, 1:], np.minimum(xs[:, :-1] + 1, 2))  # right, until the wall
    np.testing.assert_array_equal(ys[:, 1:], ys[:, :-1])
    np.testing.assert_array_equal(traj, sample_trajectories(world, always_right, 50, 4, seed=0))
    assert not np.array_equal(traj, sample_trajectories(world, always_right, 50, 4, seed=1))


# --- value iteration -------------------------------------------------------------------------


def test_value_iteration_satisfies_bellman_optimality() -> None:
    world = make_course_gridworld()
    result = value_iteration(world, tol=1e-10)
    backup = (world.reward[:, None] + world.gamma * world.P @ result.V).max(axis=1)
    np.testing.assert_allclose(result.V, backup, atol=1e-8)
    np.testing.assert_allclose(result.V, result.Q.max(axis=1))
    np.testing.assert_array_equal(result.policy.argmax(axis=1), result.Q.argmax(axis=1))
    np.testing.assert_allclose(result.policy.sum(axis=1), 1.0)
    assert 1 < result.iterations < 10_000


def test_value_iteration_matches_hand_computed_3x3() -> None:
    # Reward 1 only in the bottom-right corner, no slip, gamma = 1/2.  Staying in the goal (walking
    # into the wall) forever is worth 1 / (1 - gamma) = 2; a cell d moves away is worth gamma^d * 2.
    world = small_world(size=3, gamma=0.5)
    result = value_iteration(world)
    distance = np.array([[4, 3, 2], [3, 2, 1], [2, 1, 0]]).ravel()
    np.testing.assert_allclose(result.V, 2.0 * 0.5**distance, atol=1e-7)
    greedy = result.policy.argmax(axis=1)
    assert greedy[world.xy_to_state(1, 2)] == RIGHT  # next to the goal: step in
    assert greedy[world.xy_to_state(2, 1)] == DOWN


# --- soft value iteration and visitation -----------------------------------------------------


def test_soft_value_iteration_horizon_one_is_uniform() -> None:
    # With one step left every action earns r(s): Q_0 = r, V_0 = log(4 e^r) = r + log 4.
    world = small_world(size=3)
    soft = soft_value_iteration(world, world.reward, horizon=1)
    np.testing.assert_allclose(soft.V[0], world.reward + np.log(4))
    np.testing.assert_allclose(soft.policy[0], 0.25)


def test_soft_policy_rows_sum_to_one_and_stay_finite_for_huge_rewards() -> None:
    world = make_course_gridworld()
    for scale in [1.0, 1e4]:
        soft = soft_value_iteration(world, scale * world.reward, horizon=30)
        assert soft.policy.shape == (30, 64, 4)
        assert np.all(np.isfinite(soft.policy))
        np.testing.assert_allclose(soft.policy.sum(axis=2), 1.0)


def test_soft_policy_approaches_greedy_as_rewards_scale_up() -> None:
    world = small_world(size=3)  # no slip: best and second-best actions differ by a whole reward
    horizon = 6
    # Hard finite-horizon optimum: Q_t = r + P V_{t+1}, V_t = max_a Q_t.
    V = np.zeros(world.n_states)
    for _ in range(horizon):
        Q = world.reward[:, None] + world.P @ V
        V = Q.max(axis=1)
    optimal = np.isclose(Q, Q.max(axis=1, keepdims=True))  # the (possibly tied) best actions at t = 0
    mass_on_optimal = []
    for scale in [1.0, 10.0, 100.0]:
        policy = soft_value_iteration(world, scale * world.reward, horizon).policy[0]
        mass_on_optimal.append(np.min(np.sum(policy * optimal, axis=1)))
    assert mass_on_optimal[0] < mass_on_optimal[1] < mass_on_optimal[2]
    assert mass_on_optimal[2] > 0.999


def test_expected_visitation_sums_to_horizon_and_matches_samples() -> None:
    world = make_course_gridworld()
    policy = soft_value_iteration(world, world.reward, horizon=12).policy
    expected = expected_state_visitation(world, policy, horizon=12)
    assert expected.sum() == pytest.approx(12.0)
    traj = sample_trajectories(world, policy, n=20_000, horizon=12, seed=3)
    empirical = empirical_state_visitation(world, traj)
    assert empirical.sum() == pytest.approx(12.0)
    np.testing.assert_allclose(empirical, expected, atol=0.05)


def test_stationary_policy_visitation_from_uniform_policy_stays_uniform() -> None:
    # A uniform random walk on a grid with "stay at the wall" moves keeps the uniform distribution.
    world = small_world(size=4, slip_prob=0.2)
    np.testing.assert_allclose(expected_state_visitation(world, uniform_policy(world), 5), 5 / 16)


# --- MaxEnt IRL ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_maxent_irl_recovers_the_course_reward(seed: int) -> None:
    result = maxent_irl_benchmark(seed)
    assert result["seed"] == seed
    assert result["iterations"] == MaxEntIRLConfig().iterations
    assert result["pearson"] >= 0.9
    assert result["seconds"] > 0


def test_maxent_irl_history_and_policy() -> None:
    world = make_course_gridworld()
    config = MaxEntIRLConfig(iterations=40)
    expert = soft_value_iteration(world, world.reward, config.horizon).policy
    demos = sample_trajectories(world, expert, n=500, horizon=config.horizon, seed=0)
    result = maxent_irl(world, demos, config, true_reward=world.reward)
    assert result.reward.shape == result.theta.shape == (64,)
    np.testing.assert_allclose(result.policy.sum(axis=2), 1.0)
    assert result.history["grad_norm"].shape == result.history["pearson"].shape == (40,)
    assert result.history["grad_norm"][-1] < 0.2 * result.history["grad_norm"][0]
    assert result.history["pearson"][-1] > 0.5
    assert "pearson" not in maxent_irl(world, demos, config.replace(iterations=2)).history


def test_maxent_irl_with_custom_features_ranks_goal_above_lava() -> None:
    world = make_course_gridworld()
    features = np.stack([world.reward == 1.0, world.reward == -1.0], axis=1).astype(float)  # goal, lava
    config = MaxEntIRLConfig()
    expert = soft_value_iteration(world, world.reward, config.horizon).policy
    demos = sample_trajectories(world, expert, n=1000, horizon=config.horizon, seed=0)
    result = maxent_irl(world, demos, config, features=features)
    assert result.theta.shape == (2,)
    # True weights are +1.05 and -0.95 relative to the -0.05 baseline; 1000 demos pin them to about +-0.2.
    assert result.theta[0] == pytest.approx(1.05, abs=0.3)
    assert result.theta[1] == pytest.approx(-0.95, abs=0.3)


# --- helpers ---------------------------------------------------------------------------------


def test_pearson() -> None:
    a = np.array([1.0, 2.0, 4.0])
    assert pearson(a, 3 * a - 7) == pytest.approx(1.0)
    assert pearson(a, -a) == pytest.approx(-1.0)
    assert pearson(a, a**2) == pytest.approx(np.corrcoef(a, a**2)[0, 1])


# --- bad input -------------------------------------------------------------------------------


def test_bad_world_inputs_raise_clear_errors() -> None:
    config = GridworldConfig(size=3)
    with pytest.raises(GridworldError, match=r"reward must have shape \(9,\).*got shape \(8,\)"):
        Gridworld(config, np.zeros(8))
    with pytest.raises(GridworldError, match="reward must be finite"):
        Gridworld(config, np.array([np.nan] + [0.0] * 8))
    with pytest.raises(GridworldError, match="config must be a GridworldConfig, got dict"):
        Gridworld({"size": 3}, np.zeros(9))
    with pytest.raises(GridworldError, match="config must be a GridworldConfig or None, got int"):
        make_course_gridworld(8)
    world = Gridworld(config, course_reward(3))
    with pytest.raises(GridworldError, match=r"cell \(x=3, y=0\) is off the grid: allowed 0 <= x, y <= 2"):
        world.xy_to_state(3, 0)
    with pytest.raises(GridworldError, match=r"state 9 is out of range: allowed 0..8"):
        world.state_to_xy(9)


def test_bad_policies_and_counts_raise_clear_errors() -> None:
    world = small_world(size=3)
    good = uniform_policy(world)
    with pytest.raises(GridworldError, match=r"policy must have shape \(9, 4\).*got shape \(4, 9\)"):
        sample_trajectories(world, good.T, n=1, horizon=2, seed=0)
    with pytest.raises(GridworldError, match=r"T >= horizon = 5, got shape \(3, 9, 4\)"):
        expected_state_visitation(world, np.broadcast_to(good, (3, 9, 4)), horizon=5)
    with pytest.raises(GridworldError, match="must sum to 1, but one sums to 2"):
        sample_trajectories(world, 2 * good, n=1, horizon=2, seed=0)
    negative = good.copy()
    negative[0] = [1.5, -0.5, 0.0, 0.0]
    with pytest.raises(GridworldError, match="finite probabilities >= 0"):
        sample_trajectories(world, negative, n=1, horizon=2, seed=0)
    with pytest.raises(GridworldError, match="n must be a whole number >= 1, got 0"):
        sample_trajectories(world, good, n=0, horizon=2, seed=0)
    with pytest.raises(GridworldError, match=r"horizon must be a whole number >= 1, got 2\.5"):
        sample_trajectories(world, good, n=1, horizon=2.5, seed=0)
    with pytest.raises(GridworldError, match="horizon must be a whole number >= 1, got 0"):
        soft_value_iteration(world, world.reward, horizon=0)
    with pytest.raises(GridworldError, match="did not converge in max_iter = 3 backups"):
        value_iteration(world, max_iter=3)
    with pytest.raises(GridworldError, match="pearson is undefined when a vector is constant"):
        pearson(np.ones(3), np.arange(3))


def test_bad_irl_inputs_raise_clear_errors() -> None:
    world = small_world(size=3)
    config = MaxEntIRLConfig(horizon=4, iterations=2)
    demos = sample_trajectories(world, uniform_policy(world), n=5, horizon=4, seed=0)
    with pytest.raises(GridworldError, match=r"shape \(n, T, 2\).*got shape \(0, 4, 2\)"):
        maxent_irl(world, demos[:0], config)
    with pytest.raises(GridworldError, match="integer state/action ids, got dtype float64"):
        maxent_irl(world, demos.astype(float), config)
    bad_state = demos.copy()
    bad_state[0, 0, 0] = 9
    with pytest.raises(GridworldError, match=r"states must be in 0..8, got 0..9"):
        maxent_irl(world, bad_state, config)
    bad_action = demos.copy()
    bad_action[0, 0, 1] = -1
    with pytest.raises(GridworldError, match=r"actions must be in 0..3, got -1..3"):
        maxent_irl(world, bad_action, config)
    with pytest.raises(GridworldError, match=r"trajectories have 4 steps but config.horizon = 6"):
        maxent_irl(world, demos, config.replace(horizon=6))
    with pytest.raises(GridworldError, match=r"features must be a finite array of shape \(9, K\)"):
        maxent_irl(world, demos, config, features=np.eye(8))
    with pytest.raises(GridworldError, match="config must be a MaxEntIRLConfig, got dict"):
        maxent_irl(world, demos, {"iterations": 2})


# --- plots -----------------------------------------------------------------------------------


def test_plots_return_their_axes_and_figure() -> None:
    world = make_course_gridworld()
    result = value_iteration(world)
    ax = plot_grid_values(result.V, world, title="V*")
    assert ax.get_title() == "V*"
    assert len(ax.texts) == world.n_states  # one number per cell on an 8x8 grid
    ax_policy = plot_grid_policy(result.policy, world, values=result.V)
    assert len(ax_policy.collections) == 1 and not ax_policy.texts  # the arrows, no numbers under them
    learned = world.reward + 0.1 * np.sin(np.arange(world.n_states))
    fig = plot_reward_comparison(world.reward, learned, world)
    assert fig._suptitle.get_text() == f"Pearson r = {pearson(world.reward, learned):.3f}"
    with pytest.raises(GridworldError, match=r"values must have shape \(64,\)"):
        plot_grid_values(np.zeros(10), world)
    plt.close("all")
