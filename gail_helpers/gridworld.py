"""A square gridworld MDP: the tabular playground for value iteration and MaxEnt IRL.

Layout.  State ``s`` is the cell in column ``x`` and row ``y`` with ``s = y * size + x``.  Row 0 is
the *top* row, so ``world.reward.reshape(size, size)`` prints and plots (``imshow``) the way the
grid looks, and ``values[y, x]`` is the cell at column ``x``, row ``y``.

Actions.  ``0 = up`` (row - 1), ``1 = down`` (row + 1), ``2 = left`` (column - 1),
``3 = right`` (column + 1).  A move into the outer wall leaves the agent where it is.  With
probability ``slip_prob`` the agent slips: the move goes in one of the *other* three directions,
chosen uniformly.

Start.  Episodes start in a uniformly random cell (``start_dist``), so demonstrations cover the
whole grid, which is what lets IRL say something about every cell's reward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gail_helpers.checks import as_float_array, check_instance, check_int
from gail_helpers.config import GridworldConfig
from gail_helpers.errors import GridworldError

ACTION_NAMES = ("up", "down", "left", "right")
# (dx, dy) per action; y grows downwards (row 0 is the top row).
ACTION_DELTAS = ((0, -1), (0, 1), (-1, 0), (1, 0))
N_ACTIONS = len(ACTION_NAMES)


@dataclass(eq=False)
class Gridworld:
    """A ``size x size`` gridworld with slippery moves and a reward on each state.

    Build it from a :class:`~gail_helpers.config.GridworldConfig` and a reward vector of length
    ``size * size`` (one number per state, in the ``s = y * size + x`` order).  The transition
    tensor ``P`` and the start distribution are computed on construction.

    Attributes:
        config: size, slip probability and discount.
        reward: true reward ``R(s)`` per state, shape ``[n_states]``.
        P: transition probabilities ``P[s, a, s'] = P(s' | s, a)``, shape ``[S, A, S]``.
        start_dist: start-state distribution (uniform), shape ``[S]``.
    """

    config: GridworldConfig
    reward: np.ndarray
    P: np.ndarray = field(init=False, repr=False)
    start_dist: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.config, GridworldConfig):
            raise GridworldError(f"config must be a GridworldConfig, got {type(self.config).__name__}")
        self.reward = check_reward(self.reward, self.n_states)
        self.P = _transition_tensor(self.size, self.config.slip_prob)
        self.start_dist = np.full(self.n_states, 1.0 / self.n_states)

    @property
    def size(self) -> int:
        """Cells per side."""
        return self.config.size

    @property
    def n_states(self) -> int:
        """Number of states, ``size * size``."""
        return self.size * self.size

    @property
    def n_actions(self) -> int:
        """Number of actions (4: up, down, left, right)."""
        return N_ACTIONS

    @property
    def gamma(self) -> float:
        """Discount factor used by :func:`gail_helpers.tabular.value_iteration`."""
        return self.config.gamma

    def state_to_xy(self, state: int) -> tuple[int, int]:
        """Column ``x`` and row ``y`` of a state (row 0 is the top row)."""
        state = check_int("state", state, error=GridworldError)
        if not 0 <= state < self.n_states:
            raise GridworldError(f"state {state} is out of range: allowed 0..{self.n_states - 1}")
        y, x = divmod(int(state), self.size)
        return x, y

    def xy_to_state(self, x: int, y: int) -> int:
        """State id of the cell at column ``x``, row ``y``: ``s = y * size + x``."""
        x, y = check_int("x", x, error=GridworldError), check_int("y", y, error=GridworldError)
        if not (0 <= x < self.size and 0 <= y < self.size):
            raise GridworldError(f"cell (x={x}, y={y}) is off the grid: allowed 0 <= x, y <= {self.size - 1}")
        return int(y) * self.size + int(x)

    def features(self) -> np.ndarray:
        """One-hot state features, shape ``[S, S]``: with them ``reward = features @ theta = theta``."""
        return np.eye(self.n_states)


def check_reward(reward: np.ndarray, n_states: int) -> np.ndarray:
    """Return ``reward`` as a float array of shape ``[n_states]``, or raise :class:`GridworldError`."""
    reward = as_float_array("reward", reward, GridworldError)
    if reward.shape != (n_states,):
        raise GridworldError(
            f"reward must have shape ({n_states},) (one number per state), got shape {reward.shape}"
        )
    if not np.all(np.isfinite(reward)):
        raise GridworldError("reward must be finite: it contains NaN or infinity")
    return reward.copy()


def _transition_tensor(size: int, slip_prob: float) -> np.ndarray:
    """``P[s, a, s']``: intended direction with prob ``1 - slip``, each other one with ``slip / 3``."""
    n_states = size * size
    ys, xs = np.divmod(np.arange(n_states), size)
    # next_state[s, d]: where moving in direction d from s lands (walls clip the move).
    next_state = np.empty((n_states, N_ACTIONS), dtype=int)
    for d, (dx, dy) in enumerate(ACTION_DELTAS):
        next_state[:, d] = np.clip(ys + dy, 0, size - 1) * size + np.clip(xs + dx, 0, size - 1)
    # direction_prob[a, d] = P(move goes in direction d | action a).
    direction_prob = np.full((N_ACTIONS, N_ACTIONS), slip_prob / (N_ACTIONS - 1))
    np.fill_diagonal(direction_prob, 1.0 - slip_prob)
    P = np.zeros((n_states, N_ACTIONS, n_states))
    for a in range(N_ACTIONS):
        for d in range(N_ACTIONS):
            np.add.at(P[:, a, :], (np.arange(n_states), next_state[:, d]), direction_prob[a, d])
    return P


# The course world's reward levels: reaching the goal pays, lava hurts, every other step costs a bit.
GOAL_REWARD = 1.0
LAVA_REWARD = -1.0
STEP_REWARD = -0.05


_SIZE = next(spec for spec in GridworldConfig.specs() if spec.name == "size")


def course_reward(size: int) -> np.ndarray:
    """The course's reward layout for a ``size x size`` grid, shape ``[size * size]``.

    Goal (``+1``) in the bottom-right corner; a lava bar (``-1``) across the middle that leaves a
    gap on the left, so the best route from the top goes around it; ``-0.05`` everywhere else.
    ``size`` is in GridworldConfig's range (at least 3, the smallest grid with room for that layout).
    """
    size = check_int("size", size, low=_SIZE.low, high=_SIZE.high, error=GridworldError)
    grid = np.full((size, size), STEP_REWARD)
    mid = size // 2
    grid[mid - 1, size // 4 : size - 1] = LAVA_REWARD  # a bar with gaps at both ends
    grid[mid, size // 4] = LAVA_REWARD  # ...with a hook, so the left gap is the narrow one
    grid[size - 1, size - 1] = GOAL_REWARD
    return grid.ravel()


def make_course_gridworld(config: GridworldConfig | None = None) -> Gridworld:
    """The course's standard gridworld (8x8 with the default config); deterministic.

    Reward: see :func:`course_reward`.  Pass a :class:`GridworldConfig` to change the size,
    slip probability or discount; the reward layout scales with the size.
    """
    config = GridworldConfig() if config is None else config
    if not isinstance(config, GridworldConfig):
        raise GridworldError(f"config must be a GridworldConfig or None, got {type(config).__name__}")
    return Gridworld(config, course_reward(config.size))


def check_world(world: Gridworld) -> Gridworld:
    """``world`` unchanged if it is a :class:`Gridworld`, else :class:`GridworldError`."""
    return check_instance("world", world, Gridworld, "make_course_gridworld() builds one", GridworldError)


def time_policies(world: Gridworld, policy: np.ndarray, horizon: int) -> np.ndarray:
    """Check a policy and return it as one ``[S, A]`` matrix per time step, shape ``[horizon, S, A]``.

    Accepts a stationary policy ``[S, A]`` (repeated for every step) or a time-varying one
    ``[T, S, A]`` with ``T >= horizon`` (the first ``horizon`` steps are used).  Every row must be a
    probability distribution over actions: entries ``>= 0`` summing to 1.
    """
    check_world(world)
    check_horizon(horizon)
    policy = as_float_array("policy", policy, GridworldError)
    S, A = world.n_states, world.n_actions
    if policy.shape == (S, A):
        policy = np.broadcast_to(policy, (horizon, S, A))
    elif policy.ndim == 3 and policy.shape[1:] == (S, A) and policy.shape[0] >= horizon:
        policy = policy[:horizon]
    else:
        raise GridworldError(
            f"policy must have shape ({S}, {A}) (states x actions) or (T, {S}, {A}) with "
            f"T >= horizon = {horizon}, got shape {policy.shape}"
        )
    if not np.all(np.isfinite(policy)) or np.any(policy < 0):
        raise GridworldError("policy entries must be finite probabilities >= 0")
    row_sums = policy.sum(axis=-1)
    if not np.allclose(row_sums, 1.0, atol=1e-6):
        worst = float(row_sums.flat[np.argmax(np.abs(row_sums - 1.0))])
        raise GridworldError(f"each policy row pi(.|s) must sum to 1, but one sums to {worst:.6g}")
    return policy


MAX_HORIZON = 10_000
"""The longest horizon the tabular functions take (MaxEntIRLConfig allows 500): each step is a pass over the world."""

MAX_PAIRS = 10_000_000
"""The most (state, action) pairs :func:`sample_trajectories` draws at once (``n * horizon``, 160 MB)."""


def check_positive_int(name: str, value: int) -> int:
    """``value`` if it is a whole number ``>= 1``, else :class:`GridworldError`."""
    return check_int(name, value, low=1, error=GridworldError)


def check_horizon(horizon: int) -> int:
    """``horizon`` if it is a whole number in ``1..MAX_HORIZON``, else :class:`GridworldError`."""
    horizon = check_positive_int("horizon", horizon)
    if horizon > MAX_HORIZON:
        raise GridworldError(f"horizon = {horizon} is too long: allowed up to {MAX_HORIZON:,} steps")
    return horizon


def sample_trajectories(world: Gridworld, policy: np.ndarray, n: int, horizon: int, seed: int) -> np.ndarray:
    """Roll out ``n`` episodes of ``horizon`` steps from ``start_dist``.

    ``policy`` is a stochastic matrix ``[S, A]`` or a time-varying stack ``[T, S, A]`` (as returned
    by :func:`gail_helpers.tabular.soft_value_iteration`).  Randomness comes only from
    ``np.random.default_rng(seed)``, so the same seed gives the same demonstrations.

    Returns:
        int array ``[n, horizon, 2]``: ``traj[i, t] = (s_t, a_t)`` for episode ``i``.
    """
    check_world(world)
    n, horizon = check_positive_int("n", n), check_horizon(horizon)
    policies = time_policies(world, policy, horizon)
    if n * horizon > MAX_PAIRS:
        raise GridworldError(f"n * horizon = {n} * {horizon} pairs is too many: allowed up to {MAX_PAIRS:,}")
    rng = np.random.default_rng(check_int("seed", seed, low=0, error=GridworldError))
    out = np.empty((n, horizon, 2), dtype=int)
    states = _sample_rows(rng, np.broadcast_to(world.start_dist, (n, world.n_states)))
    for t in range(horizon):
        actions = _sample_rows(rng, policies[t][states])
        out[:, t, 0] = states
        out[:, t, 1] = actions
        states = _sample_rows(rng, world.P[states, actions])
    return out


def _sample_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of ``probs`` ``[n, k]``, drawn with that row's probabilities."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random((probs.shape[0], 1)) * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)
