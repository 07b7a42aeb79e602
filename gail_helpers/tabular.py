"""Tabular solvers on a :class:`~gail_helpers.gridworld.Gridworld`: value iteration, soft value
iteration, state-visitation frequencies and maximum-entropy IRL (Ziebart et al. 2008).

Reward convention: ``R(s)`` is collected on the state being *left*, so
``Q(s, a) = R(s) + gamma * sum_s' P(s' | s, a) V(s')``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gail_helpers.checks import as_array, as_float_array, check_number
from gail_helpers.config import MaxEntIRLConfig
from gail_helpers.gridworld import (
    Gridworld,
    GridworldError,
    check_horizon,
    check_positive_int,
    check_reward,
    check_world,
    make_course_gridworld,
    sample_trajectories,
    time_policies,
)

# Demonstrations for the benchmark (and the course notebook), each config.horizon steps long.  One-hot
# rewards need many: a cell the expert rarely visits has few counts to pin its reward down.
BENCHMARK_DEMOS = 5000


@dataclass(frozen=True)
class ValueIterationResult:
    """Output of :func:`value_iteration`.

    Attributes:
        V: optimal state values ``[S]``.
        Q: optimal action values ``[S, A]``.
        policy: greedy policy, one-hot ``[S, A]`` (ties go to the lowest action id).
        iterations: Bellman backups performed until the values stopped changing.
        stop_reason: ``"converged"``, or ``"interrupted"`` (a kernel interrupt: ``V`` after
            ``iterations`` backups, ``Q`` and ``policy`` one backup from it).
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    stop_reason: str = "converged"


@dataclass(frozen=True)
class SoftValueIterationResult:
    """Output of :func:`soft_value_iteration` (finite horizon ``T``, time steps ``t = 0..T-1``).

    Attributes:
        V: soft values ``V_t(s)``, shape ``[T, S]``.
        Q: soft action values ``Q_t(s, a)``, shape ``[T, S, A]``.
        policy: time-varying stochastic policy ``pi_t(a | s) = exp(Q_t - V_t)``, shape ``[T, S, A]``;
            ``policy[0]`` is the first-step policy, the one to show as "the" policy.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray


@dataclass(frozen=True)
class MaxEntIRLResult:
    """Output of :func:`maxent_irl`.

    Attributes:
        reward: learned reward ``features @ theta``, shape ``[S]``.
        theta: learned reward weights, shape ``[K]`` (``K = S`` for one-hot features).
        policy: soft-optimal time-varying policy for the learned reward, ``[T, S, A]``.
        history: per-iteration arrays to plot convergence: ``"grad_norm"`` (norm of the
            likelihood gradient) and, when ``true_reward`` was given, ``"pearson"``
            (correlation of the reward at the start of each iteration with it; 0 while that reward
            is still constant, as at the first iteration).
        stop_reason: ``"completed"``, or ``"interrupted"`` (a kernel interrupt: the reward after
            the steps in ``history``).
    """

    reward: np.ndarray
    theta: np.ndarray
    policy: np.ndarray
    history: dict[str, np.ndarray]
    stop_reason: str = "completed"


def policy_from_values(Q: np.ndarray) -> np.ndarray:
    """Greedy one-hot policy ``[S, A]`` from action values ``Q [S, A]``: ``pi(s) = argmax_a Q(s, a)``."""
    policy = np.zeros_like(Q, dtype=float)
    policy[np.arange(Q.shape[0]), np.argmax(Q, axis=1)] = 1.0
    return policy


def value_iteration(world: Gridworld, tol: float = 1e-8, max_iter: int = 50_000) -> ValueIterationResult:
    """Solve the discounted MDP ``world`` (its own reward and ``gamma``) by value iteration.

    Repeats the Bellman optimality backup until ``max_s |V_new(s) - V(s)| < tol``.  Raises
    :class:`~gail_helpers.gridworld.GridworldError` if that has not happened after ``max_iter``
    backups (the default covers GridworldConfig's largest gamma, 0.999, which needs ~18k).
    A kernel interrupt returns the values after the backups done so far (``stop_reason ==
    "interrupted"``).
    """
    check_world(world)
    tol = check_number("tol", tol, GridworldError)
    if not tol > 0:
        raise GridworldError(f"tol must be > 0, got {tol!r}")
    check_positive_int("max_iter", max_iter)
    V, backups, change = np.zeros(world.n_states), 0, np.inf
    try:
        while backups < max_iter and not change < tol:
            # Q(s, a) = R(s) + gamma * sum_s' P(s' | s, a) V(s')
            Q = world.reward[:, None] + world.gamma * (world.P @ V)
            # V(s) = max_a Q(s, a)
            V_new = Q.max(axis=1)
            change = np.max(np.abs(V_new - V))
            if not np.isfinite(change):
                raise GridworldError(f"values overflowed: a reward of up to {np.abs(world.reward).max():.3g} with "
                                     f"gamma = {world.gamma} exceeds the largest float; scale the reward down")
            V, backups = V_new, backups + 1
    except KeyboardInterrupt:
        Q = world.reward[:, None] + world.gamma * (world.P @ V)
        return ValueIterationResult(V, Q, policy_from_values(Q), backups, stop_reason="interrupted")
    if not change < tol:
        raise GridworldError(
            f"value iteration did not converge in max_iter = {max_iter} backups (last change {change:.3g} "
            f">= tol = {tol:.3g}); raise max_iter or tol"
        )
    return ValueIterationResult(V=V, Q=Q, policy=policy_from_values(Q), iterations=backups)


def _logsumexp_actions(Q: np.ndarray) -> np.ndarray:
    """``log sum_a exp Q(s, a)`` for ``Q [S, A]``, as ``m + log sum_a exp(Q - m)`` with ``m = max_a Q``.

    Subtracting the row maximum keeps every ``exp`` in ``(0, 1]``, so large rewards cannot overflow.
    """
    m = Q.max(axis=1)
    return m + np.log(np.exp(Q - m[:, None]).sum(axis=1))


def soft_value_iteration(world: Gridworld, reward: np.ndarray, horizon: int) -> SoftValueIterationResult:
    """Finite-horizon soft (MaxEnt) value iteration for ``reward`` on the world's dynamics.

    Undiscounted: the horizon plays the role of the discount.  Backward from ``V_T = 0``:
    ``Q_t(s, a) = r(s) + sum_s' P(s' | s, a) V_{t+1}(s')`` and ``V_t(s) = log sum_a exp Q_t(s, a)``,
    which gives the maximum-entropy policy ``pi_t(a | s) = exp(Q_t(s, a) - V_t(s))``.
    """
    check_world(world)
    reward = check_reward(reward, world.n_states)
    check_horizon(horizon)
    S, A = world.n_states, world.n_actions
    P_flat = world.P.reshape(S * A, S)  # row s * A + a is P(. | s, a)
    V = np.zeros((horizon + 1, S))  # row `horizon` is the terminal V_T = 0
    Q = np.zeros((horizon, S, A))
    for t in reversed(range(horizon)):
        # Q_t(s, a) = r(s) + sum_s' P(s' | s, a) V_{t+1}(s')
        Q[t] = reward[:, None] + (P_flat @ V[t + 1]).reshape(S, A)
        # V_t(s) = log sum_a exp Q_t(s, a)   (a "soft" max over actions)
        V[t] = _logsumexp_actions(Q[t])
    if not np.isfinite(V).all():
        raise GridworldError(
            f"soft values overflowed: rewards up to {np.abs(reward).max():.3g} summed over {horizon} steps "
            "exceed the largest float; scale the reward down"
        )
    # pi_t(a | s) = exp(Q_t(s, a) - V_t(s))
    policy = np.exp(Q - V[:horizon, :, None])
    return SoftValueIterationResult(V=V[:horizon], Q=Q, policy=policy)


def expected_state_visitation(world: Gridworld, policy: np.ndarray, horizon: int) -> np.ndarray:
    """Expected number of visits to each state in ``horizon`` steps, ``D(s) = sum_t P(s_t = s)``.

    Forward pass from ``start_dist`` under ``policy`` (``[S, A]`` or time-varying ``[T, S, A]``).
    The result sums to ``horizon``.
    """
    policies = time_policies(world, policy, horizon)
    P_flat = world.P.reshape(world.n_states * world.n_actions, world.n_states)
    d = world.start_dist.copy()  # d_0(s)
    visits = np.zeros(world.n_states)
    for t in range(horizon):
        visits += d
        # d_{t+1}(s') = sum_{s, a} d_t(s) pi_t(a | s) P(s' | s, a)
        d = (d[:, None] * policies[t]).ravel() @ P_flat
    return visits


def check_trajectories(world: Gridworld, trajectories: np.ndarray) -> np.ndarray:
    """Return ``trajectories`` as an int array ``[n, T, 2]`` of valid (state, action) ids, or raise."""
    check_world(world)
    traj = as_array("trajectories", trajectories, GridworldError)
    if traj.ndim != 3 or traj.shape[2] != 2 or traj.shape[0] == 0 or traj.shape[1] == 0:
        raise GridworldError(
            f"trajectories must have shape (n, T, 2) of (state, action) pairs with n, T >= 1, "
            f"got shape {traj.shape}"
        )
    if not np.issubdtype(traj.dtype, np.integer):
        raise GridworldError(f"trajectories must hold integer state/action ids, got dtype {traj.dtype}")
    states, actions = traj[..., 0], traj[..., 1]
    if states.min() < 0 or states.max() >= world.n_states:
        raise GridworldError(
            f"trajectory states must be in 0..{world.n_states - 1}, got {states.min()}..{states.max()}"
        )
    if actions.min() < 0 or actions.max() >= world.n_actions:
        raise GridworldError(
            f"trajectory actions must be in 0..{world.n_actions - 1}, got {actions.min()}..{actions.max()}"
        )
    return traj


def empirical_state_visitation(world: Gridworld, trajectories: np.ndarray) -> np.ndarray:
    """Average number of visits to each state per trajectory, ``[S]``; sums to the trajectory length."""
    traj = check_trajectories(world, trajectories)
    counts = np.bincount(traj[..., 0].ravel(), minlength=world.n_states)
    return counts / traj.shape[0]


MAX_FEATURE = 1e6
"""The largest feature value ``maxent_irl`` accepts."""


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equal-length vectors (1 = same shape up to scale and offset)."""
    a, b = as_float_array("a", a, GridworldError).ravel(), as_float_array("b", b, GridworldError).ravel()
    if a.shape != b.shape:
        raise GridworldError(f"pearson needs equal-length vectors, got {a.size} and {b.size} entries")
    if a.size < 2:
        raise GridworldError(f"pearson needs at least 2 entries per vector, got {a.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise GridworldError("pearson needs finite numbers: a vector contains NaN or infinity")
    units = [_centred_unit(a), _centred_unit(b)]
    if any(u is None for u in units):
        raise GridworldError("pearson is undefined when a vector is constant")
    return float(np.clip(units[0] @ units[1], -1.0, 1.0))


def _centred_unit(x: np.ndarray) -> np.ndarray | None:
    """``x - mean(x)`` scaled to length 1 (None if x is constant); scaled to |x| <= 1 first, so that
    values near the largest float cannot overflow in the squares."""
    scale = np.abs(x).max()
    x = x / scale if scale > 0 else x
    x = x - x.mean()
    norm = np.sqrt(x @ x)
    return x / norm if norm > 0 else None


def maxent_irl(
    world: Gridworld,
    trajectories: np.ndarray,
    config: MaxEntIRLConfig,
    features: np.ndarray | None = None,
    true_reward: np.ndarray | None = None,
) -> MaxEntIRLResult:
    """Maximum-entropy IRL (Ziebart et al. 2008): find ``r = features @ theta`` explaining the demos.

    The demonstrations must be ``config.horizon`` steps long (as sampled by
    :func:`~gail_helpers.gridworld.sample_trajectories`).  Each iteration:

    1. soft value iteration for the current reward gives the MaxEnt policy ``pi_theta``;
    2. a forward pass gives its expected state visitation ``D_theta``;
    3. the gradient of the average demo log-likelihood is
       ``grad = features^T (D_demo - D_theta) - l2 * theta``
       (empirical minus expected feature counts);
    4. Adam ascent step on ``theta`` with step size ``config.learning_rate``.

    Adam divides each weight's step by a running gradient scale, so states visited rarely still
    learn at the same pace as busy ones.  ``features`` defaults to one-hot states
    (``world.features()``); pass ``true_reward`` to record the Pearson correlation per iteration.
    A kernel interrupt ends it early with the reward after the steps completed (``stop_reason ==
    "interrupted"``).
    """
    if not isinstance(config, MaxEntIRLConfig):
        raise GridworldError(f"config must be a MaxEntIRLConfig, got {type(config).__name__}")
    traj = check_trajectories(world, trajectories)
    if traj.shape[1] != config.horizon:
        raise GridworldError(
            f"trajectories have {traj.shape[1]} steps but config.horizon = {config.horizon}: feature "
            f"counts are only comparable over the same horizon (use config.replace(horizon="
            f"{traj.shape[1]}) or sample demos with horizon={config.horizon})"
        )
    features = world.features() if features is None else as_float_array("features", features, GridworldError)
    if features.ndim != 2 or features.shape[0] != world.n_states or not np.all(np.isfinite(features)):
        raise GridworldError(
            f"features must be a finite array of shape ({world.n_states}, K), one row per state, "
            f"got shape {features.shape}"
        )
    if features.size and np.abs(features).max() > MAX_FEATURE:
        raise GridworldError(
            f"features must lie within ±{MAX_FEATURE:g} (feature counts over a trajectory must stay finite), "
            f"got a value of magnitude {np.abs(features).max():.3g}"
        )
    if true_reward is not None:
        true_reward = check_reward(true_reward, world.n_states)
        if np.ptp(true_reward) == 0:
            raise GridworldError("true_reward is constant: its correlation with the learned reward is undefined")

    demo_counts = features.T @ empirical_state_visitation(world, traj)  # f_demo = sum_s D_demo(s) phi(s)
    theta = np.zeros(features.shape[1])
    adam_m, adam_v = np.zeros_like(theta), np.zeros_like(theta)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    grad_norms, correlations = [], []
    done = (theta, 0)  # the weights after the steps taken so far, and how many: replaced in one assignment
    stop_reason = "completed"
    try:
        for step in range(1, config.iterations + 1):
            reward = features @ theta
            soft = soft_value_iteration(world, reward, config.horizon)
            expected_counts = features.T @ expected_state_visitation(world, soft.policy, config.horizon)
            # grad = f_demo - E_{pi_theta}[f] - l2 * theta
            grad = demo_counts - expected_counts - config.l2 * theta
            grad_norms.append(float(np.linalg.norm(grad)))
            if true_reward is not None:
                correlations.append(pearson(reward, true_reward) if np.ptp(reward) > 0 else 0.0)
            # Adam: theta += lr * m_hat / (sqrt(v_hat) + eps), m and v running means of grad and grad^2
            adam_m = beta1 * adam_m + (1 - beta1) * grad
            adam_v = beta2 * adam_v + (1 - beta2) * grad**2
            m_hat, v_hat = adam_m / (1 - beta1**step), adam_v / (1 - beta2**step)
            theta = theta + config.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
            done = (theta, step)
    except KeyboardInterrupt:  # keep the steps completed: weights and history agree
        stop_reason = "interrupted"
        theta, steps = done
        del grad_norms[steps:], correlations[steps:]

    reward = features @ theta
    history = {"grad_norm": np.array(grad_norms)}
    if true_reward is not None:
        history["pearson"] = np.array(correlations)
    policy = soft_value_iteration(world, reward, config.horizon).policy
    return MaxEntIRLResult(reward=reward, theta=theta, policy=policy, history=history, stop_reason=stop_reason)


def maxent_irl_benchmark(seed: int) -> dict:
    """MaxEnt IRL on the course gridworld with the default :class:`MaxEntIRLConfig`.

    Samples ``BENCHMARK_DEMOS`` demonstrations from the soft-optimal expert of the true reward
    (``seed`` drives the sampling), runs :func:`maxent_irl` and reports how well the reward was
    recovered.  ``seconds`` is the wall time of :func:`maxent_irl` alone.
    """
    config = MaxEntIRLConfig()
    world = make_course_gridworld()
    expert = soft_value_iteration(world, world.reward, config.horizon).policy
    demos = sample_trajectories(world, expert, BENCHMARK_DEMOS, config.horizon, seed)
    start = time.perf_counter()
    result = maxent_irl(world, demos, config)
    seconds = time.perf_counter() - start
    return {
        "pearson": pearson(result.reward, world.reward),
        "seconds": seconds,
        "iterations": config.iterations,
        "demos": BENCHMARK_DEMOS,
        "seed": seed,
    }
