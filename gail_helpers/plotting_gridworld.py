"""Gridworld figures: value/reward heatmaps, greedy-policy arrows, true-vs-learned reward.

Every function takes arrays (not printouts), draws on ``ax`` if one is given (else on a new
figure) and returns what it drew on; nothing calls ``plt.show()``.  Importing this module applies
the course's figure style (:mod:`gail_helpers.figure_style`): cell numbers are written at
:data:`~gail_helpers.figure_style.CELL_FONT_SIZE` points, with at most two digits after the point.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gail_helpers.figure_style import CELL_FONT_SIZE, use_course_style
from gail_helpers.gridworld import ACTION_DELTAS, Gridworld, GridworldError
from gail_helpers.tabular import pearson

use_course_style()

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


def cell_text(value: float) -> str:
    """A cell's number in at most four characters, so it fits a cell at a lecture-hall font size.

    Two decimals below 1 without the leading zero (``0.73`` -> ``.73``, ``-0.05`` -> ``-.05``),
    one decimal below 10 (``5.33`` -> ``5.3``), none above; trailing zeros dropped (``1.00`` -> ``1``).
    """
    size = abs(value)
    text = f"{value:.2f}" if size < 0.995 else f"{value:.1f}" if size < 9.95 else f"{value:.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text
    return "0" if text in ("-0", "") else text


def plot_grid_values(
    values: np.ndarray,
    world: Gridworld,
    ax: Axes | None = None,
    title: str = "",
    cmap: str = "viridis",
    annotate: bool = True,
    cbar_label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
) -> Axes:
    """Heatmap of one number per state (a value function, a reward, visitation counts...).

    Adds a colour bar labelled ``cbar_label`` (default: the title's first line), unless
    ``colorbar`` is False; ``vmin``/``vmax`` fix the colour range (give panels that are compared
    the same range).  With ``annotate`` writes each cell's number in it (:func:`cell_text`; only
    when the grid is at most 10 x 10, so the numbers stay readable).  Returns the Axes drawn on
    (``ax.figure`` is its Figure).
    """
    grid = _grid(values, world, "values")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    image = ax.imshow(grid, cmap=cmap, origin="upper", vmin=vmin, vmax=vmax)
    if colorbar:
        label = cbar_label if cbar_label is not None else (title.split("\n")[0].strip() or "value per state")
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    if annotate and world.size <= MAX_ANNOTATED_SIZE:
        cell_rgb = image.cmap(image.norm(grid))[..., :3]
        luminance = cell_rgb @ np.array([0.299, 0.587, 0.114])  # perceived brightness of each cell
        for y in range(world.size):
            for x in range(world.size):
                color = "black" if luminance[y, x] > 0.5 else "white"
                ax.text(x, y, cell_text(grid[y, x]), ha="center", va="center", fontsize=CELL_FONT_SIZE, color=color)
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
    values_label: str = "values behind the arrows",
) -> Axes:
    """Arrows for each state's most likely action, ``argmax_a pi(a | s)``.

    ``policy`` is ``[S, A]`` (one-hot or stochastic).  Pass ``values`` (``[S]``) to draw the arrows
    on top of their heatmap, whose colour bar is labelled ``values_label`` (e.g. ``"V*(s)"``).
    Returns the Axes drawn on.
    """
    policy = np.asarray(policy, dtype=float)
    if policy.shape != (world.n_states, world.n_actions):
        raise GridworldError(
            f"policy must have shape ({world.n_states}, {world.n_actions}) (states x actions), "
            f"got shape {policy.shape}"
        )
    if values is not None:
        ax = plot_grid_values(values, world, ax=ax, title=title, annotate=False, cbar_label=values_label)
    elif ax is None:
        _, ax = plt.subplots(figsize=(5, 5), layout="constrained")
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

    IRL recovers a reward only up to scale and offset, so the *pattern* is what should match:
    both panels show the standardised reward, (r - mean) / std, on one shared colour scale
    (symmetric about 0) with one colour bar.  Pearson r is the correlation of exactly these
    numbers.  Returns the Figure.
    """
    panels = {
        "true reward": _standardised(_grid(true_reward, world, "true_reward")),
        "learned reward": _standardised(_grid(learned_reward, world, "learned_reward")),
    }
    limit = max(float(np.abs(z).max()) for z in panels.values()) or 1.0
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
    for (title, z), ax in zip(panels.items(), axes, strict=True):
        plot_grid_values(z.ravel(), world, ax=ax, title=title, cmap=cmap, vmin=-limit, vmax=limit, colorbar=False)
    fig.colorbar(axes[1].images[0], ax=list(axes), shrink=0.9, label="standardised reward (r − mean) / std")
    fig.suptitle(f"Pearson r = {pearson(true_reward, learned_reward):.3f}")
    return fig


def _standardised(values: np.ndarray) -> np.ndarray:
    """``(values - mean) / std``; a constant array becomes all zeros."""
    centred = values - values.mean()
    std = centred.std()
    return centred / std if std > 0 else centred
