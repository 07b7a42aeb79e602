"""Plots for the RL and GAIL notebooks: returns, D(s, a), cart positions, episode animations.

Every function takes data (histories, networks, episodes) and draws on a given ``ax`` or a
new figure; none calls ``plt.show()``.  Gridworld heatmaps are in
:mod:`gail_helpers.plotting_gridworld`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gail_helpers.discriminator import Discriminator
from gail_helpers.evaluation import EpisodeBatch
from gail_helpers.history import History

CARTPOLE_DIMS = ("cart position x", "cart velocity", "pole angle θ (rad)", "pole angular velocity ω (rad/s)")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.5, 3.8)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize, layout="constrained")[1]


def plot_returns(
    histories: History | Mapping[str, History],
    expert_return: float | None = None,
    random_return: float | None = None,
    ax: Axes | None = None,
    title: str = "Episode return (greedy evaluation)",
) -> Axes:
    """Evaluation return against env steps, one line per run, with expert and random references."""
    ax = _axes(ax)
    runs = {"learner": histories} if isinstance(histories, History) else dict(histories)
    for label, history in runs.items():
        steps, returns = history.evaluations()
        ax.plot(steps, returns, marker="o", ms=3, label=label)
    if expert_return is not None:
        ax.axhline(expert_return, color="green", ls="--", lw=1, label=f"expert ({expert_return:.0f})")
    if random_return is not None:
        ax.axhline(random_return, color="grey", ls=":", lw=1, label=f"random ({random_return:.0f})")
    ax.set(xlabel="environment steps", ylabel="mean return", title=title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_d_over_training(history: History, ax: Axes | None = None) -> Axes:
    """Mean D on expert pairs and on the policy's pairs per iteration, with the D = 1/2 line."""
    ax = _axes(ax)
    steps = history["env_steps"]
    ax.plot(steps, history["d_expert"], label="D on expert pairs", color="green")
    ax.plot(steps, history["d_policy"], label="D on policy pairs", color="tab:red")
    ax.axhline(0.5, color="black", ls="--", lw=1, label="D = 1/2 (cannot tell)")
    ax.set(xlabel="environment steps", ylabel="mean D(s, a)", ylim=(0, 1), title="The discriminator over training")
    ax.legend(loc="best", fontsize="small")
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
    """Evaluate D over ``dims`` (default: pole angle x angular velocity) for every discrete action.

    The other observation values are held at ``fixed`` (default all zero: cart centred, still).
    """
    if not disc.action_spec.discrete:
        raise ValueError("d_on_grid draws one panel per action: it needs a discrete action space")
    xs = np.linspace(*limits[0], resolution, dtype=np.float32)
    ys = np.linspace(*limits[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    obs = np.tile(np.asarray(fixed if fixed is not None else np.zeros(disc.obs_dim), dtype=np.float32), (gx.size, 1))
    obs[:, dims[0]], obs[:, dims[1]] = gx.ravel(), gy.ravel()
    obs_t = torch.from_numpy(obs)
    maps = [
        disc.prob(obs_t, torch.full((len(obs),), a, dtype=torch.int64)).numpy().reshape(gx.shape)
        for a in range(disc.action_spec.n)
    ]
    return DGrid(dims, xs, ys, np.stack(maps), label)


@dataclass
class DSnapshots:
    """A training callback that keeps :func:`d_on_grid` at chosen iterations (for stage plots).

    ``dims``, ``limits`` and ``fixed`` choose the slice, as in :func:`d_on_grid` (e.g.
    ``dims=(0, 1), limits=((-2.4, 2.4), (-2, 2))`` for cart position x velocity).
    """

    iterations: Sequence[int]
    dims: tuple[int, int] = (2, 3)
    limits: tuple[tuple[float, float], tuple[float, float]] = ((-0.2, 0.2), (-1.5, 1.5))
    fixed: Sequence[float] | None = None
    grids: list[DGrid] = field(default_factory=list)

    def __call__(self, row: dict[str, float], result) -> None:
        if int(row["iteration"]) in self.iterations and result.discriminator is not None:
            label = f"after {int(row['env_steps']):,} steps"
            self.grids.append(d_on_grid(result.discriminator, self.dims, self.limits, self.fixed, label=label))


def plot_d_heatmaps(
    grid: DGrid,
    expert_obs: np.ndarray | None = None,
    action_names: Sequence[str] = ("push left", "push right"),
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """One heatmap of D per action (1 = looks like the expert), expert states dotted on top."""
    n = grid.d.shape[0]
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), layout="constrained", squeeze=False)
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
    fig.colorbar(im, ax=list(axes), label="D(s, a)", shrink=0.9)
    return fig


def plot_d_histograms(d_expert: np.ndarray, d_policy: np.ndarray, ax: Axes | None = None, title: str = "") -> Axes:
    """Histograms of D on expert pairs and on policy pairs (0 = 'policy', 1 = 'expert')."""
    ax = _axes(ax, (5.0, 3.4))
    bins = np.linspace(0, 1, 41)
    ax.hist(d_expert, bins=bins, alpha=0.6, color="green", label=f"expert (mean {np.mean(d_expert):.2f})")
    ax.hist(d_policy, bins=bins, alpha=0.6, color="tab:red", label=f"policy (mean {np.mean(d_policy):.2f})")
    ax.axvline(0.5, color="black", ls="--", lw=1)
    ax.set(xlabel="D(s, a)", ylabel="pairs", title=title or "D on expert vs policy pairs")
    ax.legend(fontsize="small")
    return ax


def plot_cart_positions(
    batches: Mapping[str, EpisodeBatch], ax: Axes | None = None, target: float | None = 1.0
) -> Axes:
    """Cart position over time, per controller (mean over its episodes, with the spread shaded)."""
    ax = _axes(ax)
    for label, batch in batches.items():
        length = int(batch.lengths.min())
        xs = np.stack([o[:length, 0] for o in batch.observations])
        t = np.arange(length)
        line = ax.plot(t, xs.mean(0), label=f"{label} (mean x = {batch.mean_observation[0]:.2f})")[0]
        ax.fill_between(t, xs.min(0), xs.max(0), color=line.get_color(), alpha=0.15)
    if target is not None:
        ax.axhline(target, color="black", ls=":", lw=1, label=f"x = {target:+g}")
    ax.set(xlabel="time step", ylabel="cart position x", title="Where does each controller keep the cart?")
    ax.legend(fontsize="small", loc="lower right")
    return ax


def animate_frames(frames: Sequence[np.ndarray], fps: int = 30, every: int = 4, title: str = "") -> str:
    """An inline HTML/JavaScript player for ``rgb_array`` frames (no X server needed).

    Only every ``every``-th frame is kept, drawn small, which keeps the notebook light
    (a 500-step episode is about 1 MB).  Display the
    result with ``IPython.display.HTML``.
    """
    if every < 1:
        raise ValueError(f"every = {every}: allowed is 1 or more (keep every n-th frame)")
    shown = list(frames)[::every]
    if not shown:
        raise ValueError("no frames to animate: pass the list returned by evaluation.episode_frames")
    fig, ax = plt.subplots(figsize=(4.5, 3.0), dpi=60)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    image = ax.imshow(shown[0])

    def draw(i: int):
        image.set_data(shown[i])
        return (image,)

    anim = animation.FuncAnimation(fig, draw, frames=len(shown), interval=1000 * every / fps, blit=True)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
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
