"""Gridworld figures: value/reward heatmaps, greedy-policy arrows, true-vs-learned reward.

Every function takes arrays (not printouts), draws on ``ax`` if one is given (else on a new
figure) and returns what it drew on; nothing calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gail_helpers.gridworld import ACTION_DELTAS, Gridworld, GridworldError
from gail_helpers.tabular import pearson

# Cells are labelled with their numbers only when the grid is small enough to read them.
MAX_ANNOTATED_SIZE = 10


def _grid(values: np.ndarray, world: Gridworld, name: str) -> np.ndarray:
    """``values [S]`` reshaped to ``[size, size]`` (row ``y``, column ``x``), or a clear error."""
    values = np.asarray(values, dtype=float)
    if values.shape != (world.n_states,):
        raise GridworldError(
            f"{name} must have shape ({world.n_states},) (one number per state), got shape {values.shape}"
        )
    return values.reshape(world.size, world.size)


def plot_grid_values(
    values: np.ndarray,
    world: Gridworld,
    ax: Axes | None = None,
    title: str = "",
    cmap: str = "viridis",
    annotate: bool = True,
) -> Axes:
    """Heatmap of one number per state (a value function, a reward, visitation counts...).

    Adds a colorbar; with ``annotate`` writes each cell's number in it (only when the grid is at
    most 10 x 10, so the numbers stay readable).  Returns the Axes drawn on (``ax.figure`` is its
    Figure).
    """
    grid = _grid(values, world, "values")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    image = ax.imshow(grid, cmap=cmap, origin="upper")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if annotate and world.size <= MAX_ANNOTATED_SIZE:
        cell_rgb = image.cmap(image.norm(grid))[..., :3]
        luminance = cell_rgb @ np.array([0.299, 0.587, 0.114])  # perceived brightness of each cell
        for y in range(world.size):
            for x in range(world.size):
                color = "black" if luminance[y, x] > 0.5 else "white"
                ax.text(x, y, f"{grid[y, x]:.2f}", ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(world.size))
    ax.set_yticks(range(world.size))
    ax.set_xlabel("x (column)")
    ax.set_ylabel("y (row)")
    ax.set_title(title)
    return ax


def plot_grid_policy(
    policy: np.ndarray,
    world: Gridworld,
    ax: Axes | None = None,
    values: np.ndarray | None = None,
    title: str = "greedy policy",
) -> Axes:
    """Arrows for each state's most likely action, ``argmax_a pi(a | s)``.

    ``policy`` is ``[S, A]`` (one-hot or stochastic).  Pass ``values`` (``[S]``) to draw the arrows
    on top of their heatmap.  Returns the Axes drawn on.
    """
    policy = np.asarray(policy, dtype=float)
    if policy.shape != (world.n_states, world.n_actions):
        raise GridworldError(
            f"policy must have shape ({world.n_states}, {world.n_actions}) (states x actions), "
            f"got shape {policy.shape}"
        )
    if values is not None:
        ax = plot_grid_values(values, world, ax=ax, title=title, annotate=False)
    elif ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    best = np.argmax(policy, axis=1)
    ys, xs = np.divmod(np.arange(world.n_states), world.size)
    deltas = np.array(ACTION_DELTAS, dtype=float)[best]
    # Row 0 is drawn at the top, so "up" (dy = -1 in grid rows) is +1 on the screen's vertical axis.
    ax.quiver(
        xs,
        ys,
        deltas[:, 0],
        -deltas[:, 1],
        angles="uv",
        scale_units="xy",
        scale=1 / 0.6,
        pivot="middle",
        color="white",
        edgecolor="black",
        linewidth=0.5,
    )
    ax.set_xlim(-0.5, world.size - 0.5)
    ax.set_ylim(world.size - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_title(title)
    return ax


def plot_reward_comparison(
    true_reward: np.ndarray, learned_reward: np.ndarray, world: Gridworld, cmap: str = "coolwarm"
) -> Figure:
    """True and learned reward side by side; the title reports their Pearson correlation ``r``.

    Each panel has its own colour scale: IRL recovers a reward only up to scale and offset, so
    the *pattern* is what should match.  Returns the Figure.
    """
    _grid(true_reward, world, "true_reward")
    _grid(learned_reward, world, "learned_reward")
    fig, (ax_true, ax_learned) = plt.subplots(1, 2, figsize=(9.5, 4), layout="constrained")
    plot_grid_values(true_reward, world, ax=ax_true, title="true reward", cmap=cmap)
    plot_grid_values(learned_reward, world, ax=ax_learned, title="learned reward", cmap=cmap)
    fig.suptitle(f"Pearson r = {pearson(true_reward, learned_reward):.3f}")
    return fig
