"""Plots for the RL and GAIL notebooks: returns, D(s, a), cart positions, episode animations.

Every function takes data (histories, networks, episodes) and draws on a given ``ax`` or a
new figure; none calls ``plt.show()``.  A run trained over several seeds (one
:class:`~gail_helpers.history.History` per seed) is drawn as the median over seeds, a shaded
band and one faint line per seed (:func:`plot_over_seeds`).  Importing this module applies the
course's figure style (:mod:`gail_helpers.figure_style`).  Gridworld heatmaps are in
:mod:`gail_helpers.plotting_gridworld`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.ticker import StrMethodFormatter
from matplotlib.transforms import offset_copy

from gail_helpers.figure_style import use_course_style
from gail_helpers.history import History

if TYPE_CHECKING:
    from gail_helpers.airl import StateReward
    from gail_helpers.discriminator import Discriminator
    from gail_helpers.evaluation import EpisodeBatch

use_course_style()

CARTPOLE_DIMS = ("cart position x", "cart velocity", "pole angle θ (rad)", "pole angular velocity ω (rad/s)")

BANDS = {"iqr": "IQR", "minmax": "min–max"}
"""The bands :func:`plot_over_seeds` shades: interquartile range (25th–75th percentile), or lowest to highest."""

Runs = History | Sequence[History] | Mapping[str, History | Sequence[History]]
"""One run (a History, or one History per seed) or several, by label."""


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.2)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize, layout="constrained")[1]


LEGEND_GAP = 42
"""Points between an axes' bottom edge and its legend: clears tick labels and x label at the course's sizes."""


def _legend(ax: Axes) -> None:
    """The labelled artists' legend, outside the axes below the x label, so it covers no data.

    As many columns as the panel's width holds (estimated from the labels' lengths); the figure's
    constrained layout (used throughout the course) makes room for it.
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    size = FontProperties(size=plt.rcParams["legend.fontsize"]).get_size_in_points()
    entry_width = (0.6 * max(map(len, labels)) + 3.5) * size  # text, handle and padding, in points
    panel_width = ax.get_position().width * ax.figure.get_figwidth() * 72
    columns = max(1, min(len(labels), int(panel_width // entry_width)))
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-LEGEND_GAP, units="points")
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, ncols=columns)


def plot_over_seeds(
    ax: Axes,
    x: np.ndarray,
    ys: np.ndarray,
    label: str,
    color: str | None = None,
    band: str = "iqr",
    marker: str | None = None,
    alpha: float = 1.0,
) -> Line2D:
    """Draw ``ys`` (``[S, T]``, one row per seed, NaN where a seed has no value) against ``x`` (``[T]``).

    One seed: a single line labelled ``label``.  Several: the median over seeds (thick line,
    labelled e.g. "GAIL (median of 5 seeds, band: IQR)"), a shaded band (``band="iqr"``: 25th to
    75th percentile; ``"minmax"``: lowest to highest seed) and one thin faint line per seed, all
    in one colour (``color``, else the axes' next colour).  ``alpha`` fades the whole group (e.g.
    for a secondary curve).  Returns the main line; the band has gid ``"band"``, the per-seed
    lines gid ``"seed"``.
    """
    if band not in BANDS:
        raise ValueError(f"band = {band!r}: allowed are {', '.join(map(repr, BANDS))}")
    x = np.asarray(x, dtype=float)
    ys = np.atleast_2d(np.asarray(ys, dtype=float))
    if ys.ndim != 2 or ys.shape[1] != len(x):
        raise ValueError(f"ys must have shape [seeds, {len(x)}] (one row per seed, one column per x), got {ys.shape}")
    n_seeds = len(ys)
    if n_seeds == 1:
        return ax.plot(x, ys[0], color=color, marker=marker, ms=4, alpha=alpha, label=label, gid="median")[0]
    with warnings.catch_warnings():  # an x where every seed is NaN stays NaN (a gap), without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmedian(ys, axis=0)
        if band == "iqr":
            low, high = np.nanpercentile(ys, [25, 75], axis=0)
        else:
            low, high = np.nanmin(ys, axis=0), np.nanmax(ys, axis=0)
    line = ax.plot(x, centre, color=color, lw=2.5, marker=marker, ms=4, alpha=alpha, zorder=3, gid="median",
                   label=f"{label} (median of {n_seeds} seeds, band: {BANDS[band]})")[0]
    colour = line.get_color()
    ax.fill_between(x, low, high, color=colour, alpha=0.2 * alpha, lw=0, zorder=1, gid="band")
    for seed_ys in ys:
        ax.plot(x, seed_ys, color=colour, lw=0.8, alpha=0.25 * alpha, zorder=2, label="_seed", gid="seed")
    return line


def plot_seed_values(
    values: Mapping[str, Sequence[float]],
    ax: Axes | None = None,
    ylabel: str = "",
    title: str = "",
    reference: tuple[str, float] | None = None,
) -> Axes:
    """One bar per learner at the median over its seeds, and one dot per seed on it.

    ``values``: label -> a figure per seed (e.g. each seed's return).  ``reference``: (name, y),
    a labelled horizontal line (e.g. the expert's).
    """
    ax = _axes(ax)
    for i, seeds in enumerate(values.values()):
        seeds = np.asarray(seeds, dtype=float)
        bar = ax.bar(i, np.median(seeds), color=f"C{i}", alpha=0.45, width=0.7)
        spread = np.linspace(-0.18, 0.18, len(seeds)) if len(seeds) > 1 else np.zeros(1)
        ax.scatter(i + spread, seeds, color=bar.patches[0].get_facecolor()[:3], edgecolor="black", zorder=3, s=36)
    ax.set_xticks(range(len(values)), list(values), rotation=20, ha="right")
    if reference is not None:
        _reference(ax, reference[1], reference[0], color="green", ls="--")
    n = max((len(v) for v in values.values()), default=0)
    ax.set(ylabel=ylabel, title=title or f"bars: median of {n} seeds; dots: seeds")
    _legend(ax)
    return ax


def seed_columns(histories: Sequence[History], column: str) -> tuple[np.ndarray, np.ndarray]:
    """``(env_steps [T], values [S, T])`` of one run over S seeds, for :func:`plot_over_seeds`.

    The histories must share their ``env_steps`` (seeds trained together).  Steps where no seed
    has ``column`` are dropped (e.g. iterations without an evaluation); a history without the
    column at all counts as NaN everywhere.
    """
    if not histories:
        raise ValueError("no histories: pass one History per seed")
    steps = histories[0]["env_steps"] if len(histories[0]) else np.array([])
    for h in histories[1:]:
        if not np.array_equal(h["env_steps"] if len(h) else np.array([]), steps):
            raise ValueError("the histories of one run must share their env_steps (one History per seed, trained "
                             "together); plot separately trained runs under separate labels")
    values = np.array([h[column] if column in h.columns else np.full(len(steps), np.nan) for h in histories])
    values = values.reshape(len(histories), len(steps))
    keep = ~np.isnan(values).all(axis=0)
    return steps[keep], values[:, keep]


def _runs(runs: Runs) -> dict[str, list[History]]:
    """``runs`` as label -> one History per seed."""
    if isinstance(runs, History):
        return {"learner": [runs]}
    if isinstance(runs, Mapping):
        return {label: [run] if isinstance(run, History) else list(run) for label, run in runs.items()}
    return {"learner": list(runs)}


def _env_steps_axis(ax: Axes) -> None:
    """x is environment steps, written with thousands separators (20,000)."""
    ax.set_xlabel("environment steps")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _reference(ax: Axes, y: float | None, name: str, **style) -> None:
    """A horizontal reference line labelled with its value, e.g. "expert (500)"."""
    if y is not None:
        ax.axhline(y, lw=1.5, label=f"{name} ({y:.0f})", **style)


def plot_returns(
    runs: Runs,
    expert_return: float | None = None,
    random_return: float | None = None,
    ax: Axes | None = None,
    title: str = "Episode return (greedy evaluation)",
    band: str = "iqr",
) -> Axes:
    """Evaluation return against env steps per run, with expert and random reference lines.

    ``runs``: a History, a sequence of Histories (one run over seeds), or a mapping label -> either.
    A one-seed run is a line with markers; a run over several seeds is drawn by
    :func:`plot_over_seeds` (median, ``band`` shaded, one faint line per seed).
    """
    ax = _axes(ax)
    for label, histories in _runs(runs).items():
        steps, returns = seed_columns(histories, "eval_return")
        if len(steps):  # nothing to draw before the first evaluation
            plot_over_seeds(ax, steps, returns, label, band=band, marker="o")
    _reference(ax, expert_return, "expert", color="green", ls="--")
    _reference(ax, random_return, "random", color="grey", ls=":")
    ax.set(ylabel="mean return", title=title)
    _env_steps_axis(ax)
    _legend(ax)
    return ax


def plot_d_over_training(
    histories: History | Sequence[History], ax: Axes | None = None, band: str = "iqr"
) -> Axes:
    """Mean D on expert pairs and on the policy's pairs per iteration, with the D = 1/2 line.

    ``histories``: one History, or one per seed (then median, ``band`` and faint per-seed lines,
    see :func:`plot_over_seeds`).  Histories without D columns draw only the D = 1/2 line.
    """
    ax = _axes(ax)
    seeds = [histories] if isinstance(histories, History) else list(histories)
    curves = (("d_expert", "D on expert pairs", "green"), ("d_policy", "D on policy pairs", "tab:red"))
    for column, name, colour in curves:
        steps, values = seed_columns(seeds, column) if seeds else (np.array([]), np.zeros((0, 0)))
        if len(steps):
            plot_over_seeds(ax, steps, values, name, color=colour, band=band)
    ax.axhline(0.5, color="black", ls="--", lw=1.5, label="D = 1/2 (cannot tell)")
    ax.set(ylabel="mean D(s, a)", ylim=(0, 1), title="The discriminator over training")
    _env_steps_axis(ax)
    _legend(ax)
    return ax


@dataclass
class DGrid:
    """D(s, a) on a grid of two state dimensions (the others held fixed), one map per action."""

    dims: tuple[int, int]
    xs: np.ndarray
    ys: np.ndarray
    d: np.ndarray  # [n_actions, len(ys), len(xs)]
    label: str = ""


def d_on_grid(
    disc: Discriminator,
    dims: tuple[int, int] = (2, 3),
    limits: tuple[tuple[float, float], tuple[float, float]] = ((-0.2, 0.2), (-1.5, 1.5)),
    fixed: Sequence[float] | None = None,
    resolution: int = 61,
    label: str = "",
) -> DGrid:
    """Evaluate one seed's D over ``dims`` (default: pole angle x angular velocity) for every discrete action.

    ``disc`` is a one-seed discriminator (from a seed-batched one: ``disc.single(i)``).  The other
    observation values are held at ``fixed`` (default all zero: cart centred, still).
    """
    if disc.num_seeds != 1:
        raise ValueError(f"d_on_grid draws one seed's D: pass disc.single(i) (this one holds {disc.num_seeds} seeds)")
    if not disc.action_spec.discrete:
        raise ValueError("d_on_grid draws one panel per action: it needs a discrete action space")
    xs = np.linspace(*limits[0], resolution, dtype=np.float32)
    ys = np.linspace(*limits[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    obs = np.tile(np.asarray(fixed if fixed is not None else np.zeros(disc.obs_dim), dtype=np.float32), (gx.size, 1))
    obs[:, dims[0]], obs[:, dims[1]] = gx.ravel(), gy.ravel()
    obs_t = torch.from_numpy(obs)
    with torch.no_grad():
        maps = [
            disc.prob(obs_t, torch.full((len(obs),), a, dtype=torch.int64))[0].numpy().reshape(gx.shape)
            for a in range(disc.action_spec.n)
        ]
    return DGrid(dims, xs, ys, np.stack(maps), label)


def plot_d_heatmaps(
    grid: DGrid,
    expert_obs: np.ndarray | None = None,
    action_names: Sequence[str] = ("push left", "push right"),
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """One heatmap of D per action on one shared 0..1 colour scale (1 = looks like the expert), expert states dotted."""
    n = grid.d.shape[0]
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(5.0 * n, 4.2), layout="constrained", squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    extent = (grid.xs[0], grid.xs[-1], grid.ys[0], grid.ys[-1])
    for a, ax in enumerate(axes):
        im = ax.imshow(grid.d[a], origin="lower", extent=extent, aspect="auto", vmin=0, vmax=1, cmap="RdYlGn")
        if expert_obs is not None:
            ax.scatter(expert_obs[:, grid.dims[0]], expert_obs[:, grid.dims[1]], s=1, c="black", alpha=0.15)
        name = action_names[a] if a < len(action_names) else f"action {a}"
        ax.set(title=f"D(s, {name}) {grid.label}".strip(), xlabel=CARTPOLE_DIMS[grid.dims[0]],
               ylabel=CARTPOLE_DIMS[grid.dims[1]], xlim=extent[:2], ylim=extent[2:])
    fig.colorbar(im, ax=list(axes), label="D(s, a)   (1 = looks like the expert)", shrink=0.9)
    return fig


def plot_state_reward(
    reward: StateReward,
    dims: tuple[int, int] = (0, 2),
    limits: tuple[tuple[float, float], tuple[float, float]] = ((-2.4, 2.4), (-0.21, 0.21)),
    expert_obs: np.ndarray | None = None,
    resolution: int = 61,
) -> Figure:
    """A learned reward g(s) over two observation dimensions (default cart position x pole angle,
    the other values 0), one panel per seed, with the expert's states dotted.

    g is known only up to a constant, so each seed's panel shows g(s) - max g over the grid: 0 at
    the best state, on one colour scale shared by every panel.
    """
    xs = np.linspace(*limits[0], resolution, dtype=np.float32)
    ys = np.linspace(*limits[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    obs = np.zeros((gx.size, reward.obs_dim), dtype=np.float32)
    obs[:, dims[0]], obs[:, dims[1]] = gx.ravel(), gy.ravel()
    with torch.no_grad():
        g = reward(torch.from_numpy(obs)).numpy().reshape(reward.num_seeds, *gx.shape)
    g = g - g.max(axis=(1, 2), keepdims=True)
    low = float(np.percentile(g, 2))  # a few extreme corners do not wash out the rest
    fig, axes = plt.subplots(1, reward.num_seeds, figsize=(4.6 * reward.num_seeds, 4.2), layout="constrained",
                             squeeze=False)
    extent = (xs[0], xs[-1], ys[0], ys[-1])
    for seed, ax, panel in zip(reward.seeds, axes[0], g, strict=True):
        im = ax.imshow(panel, origin="lower", extent=extent, aspect="auto", vmin=low, vmax=0, cmap="viridis")
        if expert_obs is not None:
            ax.scatter(expert_obs[:, dims[0]], expert_obs[:, dims[1]], s=1, c="white", alpha=0.2)
        ax.set(title=f"g(s), seed {seed}", xlabel=CARTPOLE_DIMS[dims[0]], xlim=extent[:2], ylim=extent[2:])
    axes[0][0].set_ylabel(CARTPOLE_DIMS[dims[1]])
    fig.colorbar(im, ax=list(axes[0]), label="g(s) − max g   (0 = best)", shrink=0.9)
    return fig


def plot_d_histograms(d_expert: np.ndarray, d_policy: np.ndarray, ax: Axes | None = None, title: str = "") -> Axes:
    """Histograms of D on expert pairs and on policy pairs (0 = 'policy', 1 = 'expert')."""
    ax = _axes(ax, (6.0, 4.0))
    bins = np.linspace(0, 1, 41)
    ax.hist(d_expert, bins=bins, alpha=0.6, color="green", label=f"expert (mean {np.mean(d_expert):.2f})")
    ax.hist(d_policy, bins=bins, alpha=0.6, color="tab:red", label=f"policy (mean {np.mean(d_policy):.2f})")
    ax.axvline(0.5, color="black", ls="--", lw=1.5, label="D = 1/2")
    ax.set(xlabel="D(s, a)", ylabel="pairs", title=title or "D on expert vs policy pairs")
    _legend(ax)
    return ax


def plot_cart_positions(
    batches: Mapping[str, EpisodeBatch], ax: Axes | None = None, target: float | None = 1.0
) -> Axes:
    """Cart position over time per controller: the mean over its episodes still running at each step.

    The shading spans the lowest to highest x of those episodes; a short episode ends its own
    contribution, not the curve.  The label gives the mean x over every step of every episode.
    """
    ax = _axes(ax)
    for label, batch in batches.items():
        length = max(len(o) for o in batch.observations)
        xs = np.full((len(batch.observations), length), np.nan)
        for row, o in zip(xs, batch.observations, strict=True):
            row[: len(o)] = o[:, 0]
        t = np.arange(length)
        mean_x = float(np.concatenate([o[:, 0] for o in batch.observations]).mean())
        line = ax.plot(t, np.nanmean(xs, axis=0), label=f"{label} (mean x = {mean_x:.2f})")[0]
        ax.fill_between(t, np.nanmin(xs, axis=0), np.nanmax(xs, axis=0), color=line.get_color(), alpha=0.15, lw=0)
    if target is not None:
        ax.axhline(target, color="black", ls=":", lw=1.5, label=f"x = {target:+g}")
    ax.set(xlabel="time step", ylabel="cart position x", title="Where does each controller keep the cart?")
    _legend(ax)
    return ax


ANIMATION_DPI = 100
ANIMATION_FIGSIZE = (4.5, 3.0)
"""The episode player's frame size: inches at :data:`ANIMATION_DPI` (450 x 300 pixels)."""


def animate_frames(frames: Sequence[np.ndarray], fps: int = 30, every: int = 4, title: str = "") -> str:
    """An inline HTML/JavaScript player for ``rgb_array`` frames (no X server needed).

    Only every ``every``-th frame is kept, drawn at 100 dpi on a small figure, which keeps the
    notebook light.  Display the result with ``IPython.display.HTML``.
    """
    if every < 1:
        raise ValueError(f"every = {every}: allowed is 1 or more (keep every n-th frame)")
    shown = list(frames)[::every]
    if not shown:
        raise ValueError("no frames to animate: pass the list returned by evaluation.episode_frames")
    fig = Figure(figsize=ANIMATION_FIGSIZE, dpi=ANIMATION_DPI, layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    if title:
        ax.set_title(title, wrap=True)
    image = ax.imshow(shown[0])

    def draw(i: int):
        image.set_data(shown[i])
        return (image,)

    anim = animation.FuncAnimation(fig, draw, frames=len(shown), interval=1000 * every / fps, blit=True)
    html = anim.to_jshtml(default_mode="once")
    # matplotlib links its button icons from a CDN; a classroom may be offline, so draw them locally
    # (with glyphs every default font has, and only inside the player)
    return re.sub(r"<link[^>]*font-awesome[^>]*>", lambda _: _PLAYER_ICONS, html)


_PLAYER_ICONS = """<style>
.animation .fa { font-style: normal; font-family: sans-serif; }
.animation .fa-minus:before { content: "\\2212"; } .animation .fa-plus:before { content: "+"; }
.animation .fa-fast-backward:before { content: "|\\25C0"; } .animation .fa-fast-forward:before { content: "\\25B6|"; }
.animation .fa-step-backward:before { content: "\\25C0\\25C0"; }
.animation .fa-step-forward:before { content: "\\25B6\\25B6"; }
.animation .fa-play:before { content: "\\25B6"; } .animation .fa-pause:before { content: "\\275A\\275A"; }
.animation .fa-flip-horizontal { display: inline-block; transform: scaleX(-1); }
</style>"""
