"""Tests for the plots (asserting on the drawn artists), the course's figure style, episode rendering
and the History table.

Histories are built by hand (``History(rows)``) and the discriminator is a stand-in that keeps
the one-seed contract ``d_on_grid`` relies on, so these tests need no training.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text

from gail_helpers import plotting
from gail_helpers.evaluation import EpisodeBatch, episode_frames
from gail_helpers.experts import load_expert
from gail_helpers.figure_style import CELL_FONT_SIZE, MIN_FONT_SIZE
from gail_helpers.gridworld import make_course_gridworld
from gail_helpers.history import History
from gail_helpers.plotting import (
    animate_frames,
    d_on_grid,
    plot_cart_positions,
    plot_d_heatmaps,
    plot_d_histograms,
    plot_d_over_training,
    plot_over_seeds,
    plot_returns,
    seed_columns,
)
from gail_helpers.plotting_gridworld import cell_text, plot_grid_policy, plot_grid_values, plot_reward_comparison
from gail_helpers.tabular import value_iteration


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(evals: dict[int, float], steps: tuple[int, ...] = (1000, 2000, 3000, 4000)) -> History:
    """Rows every 1000 steps; ``evals`` maps some of those steps to an evaluation return."""
    h = History()
    for i, s in enumerate(steps):
        row = {"iteration": i, "env_steps": s, "seconds": 0.1 * i, "d_expert": 0.5 + 0.1 * i, "d_policy": 0.5 - 0.1 * i}
        if s in evals:
            row["eval_return"] = evals[s]
        h.append(row)
    return h


EVAL_STEPS = (2000, 4000, 6000)


def seed_histories(n_seeds: int = 5, offset: float = 0.0) -> tuple[list[History], np.ndarray, np.ndarray]:
    """One History per seed, trained together: rows every 1000 steps, evaluations every 2000.

    Returns (histories, eval_returns [S, 3], d_expert [S, 6]).
    """
    rng = np.random.default_rng(n_seeds)
    returns = rng.uniform(0, 500, (n_seeds, len(EVAL_STEPS))) + offset
    d_expert = rng.uniform(0.5, 1.0, (n_seeds, 6))
    histories = []
    for seed in range(n_seeds):
        rows = []
        for i, step in enumerate(range(1000, 7000, 1000)):
            row = {"env_steps": step, "train_return": 10.0 * i + seed, "d_expert": d_expert[seed, i],
                   "d_policy": 1 - d_expert[seed, i]}
            if step in EVAL_STEPS:
                row["eval_return"] = returns[seed, EVAL_STEPS.index(step)]
            rows.append(row)
        histories.append(History(rows))
    return histories, returns, d_expert


def legend_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def by_gid(ax, gid: str) -> list:
    return [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]


def band_limits(band, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest y of the band's polygon at each x."""
    vertices = np.concatenate([path.vertices for path in band.get_paths()])
    low = np.array([vertices[np.isclose(vertices[:, 0], x), 1].min() for x in xs])
    high = np.array([vertices[np.isclose(vertices[:, 0], x), 1].max() for x in xs])
    return low, high


def small_texts(fig: Figure) -> list[tuple[str, float]]:
    """Every non-empty text drawn in ``fig`` (tick labels, legends, colour bars...) below the course's minimum."""
    fig.draw_without_rendering()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts, "the figure has no text at all"
    return [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < MIN_FONT_SIZE]


def colorbar_labels(fig: Figure) -> list[str]:
    return [ax._colorbar.ax.get_ylabel() for ax in fig.axes if hasattr(ax, "_colorbar")]


# ---- History ------------------------------------------------------------------------------


def test_history_columns_and_missing_values():
    h = history({2000: 50.0, 4000: 120.0})
    assert len(h) == 4
    assert h.columns == ["iteration", "env_steps", "seconds", "d_expert", "d_policy", "eval_return"]
    np.testing.assert_array_equal(h["env_steps"], [1000, 2000, 3000, 4000])
    np.testing.assert_array_equal(h["eval_return"], [np.nan, 50.0, np.nan, 120.0])


def test_history_missing_column_lists_the_columns():
    h = History([{"env_steps": 1, "loss": 0.5}])
    with pytest.raises(KeyError, match=r"no column 'eval_return' in this history; columns are \['env_steps', 'loss'\]"):
        h["eval_return"]


def test_evaluations_drop_rows_without_an_evaluation():
    steps, returns = history({2000: 50.0, 4000: 120.0}).evaluations()
    np.testing.assert_array_equal(steps, [2000, 4000])
    np.testing.assert_array_equal(returns, [50.0, 120.0])


def test_evaluations_are_empty_before_the_first_evaluation():
    for h in (History(), history({})):
        steps, returns = h.evaluations()
        assert steps.shape == returns.shape == (0,)


def test_first_reaching_returns_the_first_row_at_or_above_the_threshold():
    h = history({1000: 20.0, 2000: 200.0, 3000: 150.0, 4000: 500.0})
    assert h.first_reaching(200.0)["env_steps"] == 2000  # equality counts
    assert h.first_reaching(180.0)["env_steps"] == 2000
    assert h.first_reaching(300.0)["env_steps"] == 4000
    assert h.first_reaching(501.0) is None
    assert History().first_reaching(0.0) is None


# ---- return and D curves, one seed ------------------------------------------------------


def test_plot_returns_one_line_per_run_and_reference_lines():
    runs = {"gail": history({2000: 50.0, 4000: 120.0}), "bc": history({1000: 10.0, 3000: 30.0, 4000: 40.0})}
    ax = plot_returns(runs, expert_return=500.0, random_return=22.4)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["gail", "bc", "expert (500)", "random (22)"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [2000, 4000])
    np.testing.assert_array_equal(lines[0].get_ydata(), [50.0, 120.0])
    np.testing.assert_array_equal(lines[1].get_ydata(), [10.0, 30.0, 40.0])
    assert lines[0].get_color() != lines[1].get_color()
    assert list(lines[2].get_ydata()) == [500.0, 500.0]  # horizontal reference lines
    assert list(lines[3].get_ydata()) == [22.4, 22.4]
    assert legend_labels(ax) == ["gail", "bc", "expert (500)", "random (22)"]
    assert ax.get_xlabel() == "environment steps"
    assert not ax.collections  # one seed: no band


@pytest.mark.parametrize("runs", [history({4000: 77.0}), [history({4000: 77.0})], {"learner": [history({4000: 77.0})]}])
def test_plot_returns_one_seed_draws_a_single_line(runs):
    ax = plot_returns(runs)
    (line,) = ax.get_lines()
    assert line.get_label() == "learner" and line.get_marker() == "o"
    assert not ax.collections and not by_gid(ax, "seed")
    assert legend_labels(ax) == ["learner"]


def test_plot_returns_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    assert plot_returns(history({4000: 77.0}), ax=ax) is ax
    assert len(fig.axes) == 1


def test_history_nan_return_is_not_plotted():
    h = History([{"env_steps": 1.0, "eval_return": math.nan}, {"env_steps": 2.0, "eval_return": 9.0}])
    ax = plot_returns(h)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [9.0])


def test_plot_returns_before_any_evaluation_draws_only_the_references():
    no_evaluation_yet = [History([{"env_steps": 1000.0, "d_expert": 0.6}]) for _ in range(3)]
    ax = plot_returns({"gail": no_evaluation_yet}, expert_return=500)
    assert [line.get_label() for line in ax.get_lines()] == ["expert (500)"]


def test_plot_d_over_training_has_both_curves_the_half_line_and_unit_ylim():
    h = history({})
    ax = plot_d_over_training(h)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"D on expert pairs", "D on policy pairs", "D = 1/2 (cannot tell)"}
    np.testing.assert_allclose(lines["D on expert pairs"].get_ydata(), h["d_expert"])
    np.testing.assert_allclose(lines["D on policy pairs"].get_ydata(), h["d_policy"])
    assert list(lines["D = 1/2 (cannot tell)"].get_ydata()) == [0.5, 0.5]
    assert ax.get_ylim() == (0.0, 1.0)


# ---- several seeds: median, band, faint lines --------------------------------------------


def test_plot_returns_over_seeds_median_iqr_band_and_one_faint_line_per_seed():
    histories, returns, _ = seed_histories(5)
    ax = plot_returns({"GAIL": histories}, expert_return=500.0)
    (median,) = by_gid(ax, "median")
    assert median.get_label() == "GAIL (median of 5 seeds, band: IQR)"
    np.testing.assert_array_equal(median.get_xdata(), EVAL_STEPS)
    np.testing.assert_allclose(median.get_ydata(), np.median(returns, axis=0))
    (band,) = by_gid(ax, "band")
    low, high = band_limits(band, np.array(EVAL_STEPS))
    np.testing.assert_allclose(low, np.percentile(returns, 25, axis=0))
    np.testing.assert_allclose(high, np.percentile(returns, 75, axis=0))
    faint = by_gid(ax, "seed")
    assert len(faint) == 5
    for seed, line in enumerate(faint):
        np.testing.assert_allclose(line.get_ydata(), returns[seed])
        assert line.get_color() == median.get_color()
        assert line.get_alpha() <= 0.3 and line.get_linewidth() < median.get_linewidth()
        assert not line.get_label() or line.get_label().startswith("_")  # not in the legend
    assert legend_labels(ax) == ["GAIL (median of 5 seeds, band: IQR)", "expert (500)"]


def test_minmax_band_spans_the_lowest_to_the_highest_seed():
    histories, returns, _ = seed_histories(4)
    ax = plot_returns({"GAIL": histories}, band="minmax")
    (band,) = by_gid(ax, "band")
    low, high = band_limits(band, np.array(EVAL_STEPS))
    np.testing.assert_allclose(low, returns.min(axis=0))
    np.testing.assert_allclose(high, returns.max(axis=0))
    assert legend_labels(ax) == ["GAIL (median of 4 seeds, band: min–max)"]
    with pytest.raises(ValueError, match=r"band = 'std': allowed are 'iqr', 'minmax'"):
        plot_returns({"GAIL": histories}, band="std")


def test_runs_over_seeds_and_single_runs_side_by_side_get_their_own_colours():
    gail, _, _ = seed_histories(3)
    bc, _, _ = seed_histories(2, offset=100)
    ax = plot_returns({"GAIL": gail, "BC": bc, "PPO": history({2000: 5.0})})
    medians = by_gid(ax, "median")
    assert [m.get_label() for m in medians] == [
        "GAIL (median of 3 seeds, band: IQR)", "BC (median of 2 seeds, band: IQR)", "PPO"]
    assert len({m.get_color() for m in medians}) == 3
    assert len(by_gid(ax, "seed")) == 5 and len(by_gid(ax, "band")) == 2


def test_seeds_of_one_run_must_share_their_env_steps():
    with pytest.raises(ValueError, match="must share their env_steps"):
        plot_returns({"GAIL": [history({2000: 1.0}), history({2000: 1.0}, steps=(1000, 2000))]})


def test_seed_columns_keep_steps_where_some_seed_has_a_value():
    a = History([{"env_steps": 1.0, "x": 1.0}, {"env_steps": 2.0}, {"env_steps": 3.0, "x": 5.0}])
    b = History([{"env_steps": 1.0}, {"env_steps": 2.0}, {"env_steps": 3.0, "x": 7.0}])
    steps, values = seed_columns([a, b], "x")
    np.testing.assert_array_equal(steps, [1.0, 3.0])
    np.testing.assert_array_equal(values, [[1.0, 5.0], [np.nan, 7.0]])
    steps, values = seed_columns([a, History([{"env_steps": s} for s in (1.0, 2.0, 3.0)])], "x")
    assert values.shape == (2, 2) and np.isnan(values[1]).all()  # a seed without the column is NaN


def test_plot_over_seeds_checks_the_shape_and_ignores_nan():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"ys must have shape \[seeds, 3\]"):
        plot_over_seeds(ax, np.arange(3), np.zeros((2, 4)), "x")
    ys = np.array([[1.0, np.nan, 3.0], [3.0, np.nan, np.nan], [2.0, np.nan, 4.0]])
    line = plot_over_seeds(ax, np.arange(3), ys, "x")
    np.testing.assert_allclose(line.get_ydata(), [2.0, np.nan, 3.5])  # median of the seeds that have a value


def test_plot_d_over_training_over_seeds():
    histories, _, d_expert = seed_histories(5)
    ax = plot_d_over_training(histories)
    medians = {m.get_label(): m for m in by_gid(ax, "median")}
    assert set(medians) == {"D on expert pairs (median of 5 seeds, band: IQR)",
                            "D on policy pairs (median of 5 seeds, band: IQR)"}
    np.testing.assert_allclose(medians["D on expert pairs (median of 5 seeds, band: IQR)"].get_ydata(),
                               np.median(d_expert, axis=0))
    np.testing.assert_allclose(medians["D on policy pairs (median of 5 seeds, band: IQR)"].get_ydata(),
                               np.median(1 - d_expert, axis=0))
    assert len(by_gid(ax, "seed")) == 10 and len(by_gid(ax, "band")) == 2
    assert "D = 1/2 (cannot tell)" in legend_labels(ax)
    assert ax.get_ylim() == (0.0, 1.0)


def test_the_legend_sits_below_the_axes_and_covers_no_data():
    histories, _, _ = seed_histories(5)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    plot_returns({"GAIL": histories}, expert_return=500.0, random_return=20.0, ax=axes[0])
    plot_d_over_training(histories, ax=axes[1])
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        legend = ax.get_legend().get_window_extent(renderer)
        plot_area = ax.get_window_extent(renderer)
        below = ax.xaxis.get_tightbbox(renderer)  # tick labels and the x label
        assert legend.y1 <= below.y0 < plot_area.y0
        assert fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1 and legend.y0 >= fig.bbox.y0  # on the figure
    assert not axes[0].get_legend().get_window_extent(renderer).overlaps(axes[1].get_window_extent(renderer))


# ---- the discriminator on a grid ----------------------------------------------------------


class OneSeedD:
    """A stand-in with the one-seed discriminator's contract: ``prob(obs [B, d], actions [B]) -> [1, B]``."""

    def __init__(self, obs_dim: int = 4, n_actions: int = 2, num_seeds: int = 1, discrete: bool = True) -> None:
        torch.manual_seed(0)
        self.obs_dim, self.num_seeds = obs_dim, num_seeds
        self.action_spec = SimpleNamespace(discrete=discrete, n=n_actions)
        layers = (torch.nn.Linear(obs_dim + n_actions, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        self.net = torch.nn.Sequential(*layers)

    def prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        x = torch.cat([obs, torch.nn.functional.one_hot(actions, self.action_spec.n).float()], dim=-1)
        return torch.sigmoid(self.net(x)).squeeze(-1).unsqueeze(0)  # the leading seed axis, of size 1


@pytest.fixture
def disc() -> OneSeedD:
    return OneSeedD()


def test_d_on_grid_values_shape_and_axes(disc):
    grid = d_on_grid(disc, resolution=7, label="fresh")
    assert grid.d.shape == (2, 7, 7)
    assert ((grid.d > 0) & (grid.d < 1)).all()
    assert grid.dims == (2, 3) and grid.label == "fresh"
    np.testing.assert_allclose(grid.xs, np.linspace(-0.2, 0.2, 7), rtol=1e-6)
    np.testing.assert_allclose(grid.ys, np.linspace(-1.5, 1.5, 7), rtol=1e-6)
    assert grid.d.std() > 0  # a random D is not constant over the grid


def test_d_on_grid_points_equal_d_computed_directly(disc):
    fixed = [0.3, -0.1, 0.0, 0.0]
    grid = d_on_grid(disc, dims=(2, 3), fixed=fixed, resolution=5)
    # grid.d[a, i, j] is D at (dims[0] = xs[j], dims[1] = ys[i]), other dims at `fixed`
    for i, j in [(2, 2), (0, 4), (4, 0), (1, 3)]:
        obs = torch.tensor([[0.3, -0.1, grid.xs[j], grid.ys[i]]])
        for a in (0, 1):
            expected = disc.prob(obs, torch.tensor([a]))[0, 0].item()
            assert grid.d[a, i, j] == pytest.approx(expected, abs=1e-6), (a, i, j)
    assert grid.xs[2] == pytest.approx(0.0) and grid.ys[2] == pytest.approx(0.0)


def test_d_on_grid_needs_discrete_actions():
    with pytest.raises(ValueError, match=r"one panel per action: it needs a discrete action space"):
        d_on_grid(OneSeedD(3, 1, discrete=False))


def test_d_on_grid_draws_one_seed_only():
    with pytest.raises(ValueError, match=r"d_on_grid draws one seed's D: pass disc.single\(i\)"):
        d_on_grid(OneSeedD(num_seeds=3))


def test_plot_d_heatmaps_one_image_per_action(disc):
    grid = d_on_grid(disc, resolution=9, label="after 0 steps")
    expert_obs = np.zeros((10, 4), dtype=np.float32)
    fig = plot_d_heatmaps(grid, expert_obs=expert_obs)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 2
    for a, ax in enumerate(panels):
        (image,) = ax.images
        assert isinstance(image, AxesImage)
        np.testing.assert_array_equal(image.get_array(), grid.d[a])
        assert image.get_clim() == (0, 1)  # one shared scale
        assert len(ax.collections) == 1  # the expert states
    assert [ax.get_title() for ax in panels] == ["D(s, push left) after 0 steps", "D(s, push right) after 0 steps"]
    assert panels[0].get_xlabel() == "pole angle θ (rad)"
    assert len(fig.axes) == 3  # two panels and the colour bar
    assert colorbar_labels(fig) == ["D(s, a)   (1 = looks like the expert)"]
    assert small_texts(fig) == []


def test_plot_d_histograms_legend_shows_the_means_and_the_half_line():
    ax = plot_d_histograms(np.array([0.9, 0.8, 0.7]), np.array([0.1, 0.2, 0.45]))
    assert legend_labels(ax) == ["expert (mean 0.80)", "policy (mean 0.25)", "D = 1/2"]
    counts = [sum(p.get_height() for p in container) for container in ax.containers]
    assert counts == [3, 3]


# ---- cart positions ------------------------------------------------------------------------


def episodes(*xs: list[float]) -> EpisodeBatch:
    observations = [np.column_stack([x, np.zeros((len(x), 3))]) for x in xs]
    return EpisodeBatch(returns=np.array([float(len(x)) for x in xs]), observations=observations,
                        actions=[np.zeros(len(x)) for x in xs], final_observations=np.zeros((len(xs), 4)),
                        terminated=np.zeros(len(xs), dtype=bool))


def test_plot_cart_positions_labels_show_the_mean_x():
    ones = episodes([1.0, 1.2, 1.4], [0.6, 0.8, 1.0])
    centre = episodes([0.0, -0.1, 0.1])
    ax = plot_cart_positions({"styled": ones, "ppo": centre})
    assert legend_labels(ax) == ["styled (mean x = 1.00)", "ppo (mean x = 0.00)", "x = +1"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.8, 1.0, 1.2])  # mean over episodes per step
    assert list(ax.get_lines()[-1].get_ydata()) == [1.0, 1.0]


def test_a_short_episode_does_not_cut_the_cart_curve():
    batch = episodes([1.0, 1.0], [0.0, 0.2, 0.4, 0.6, 0.8])
    ax = plot_cart_positions({"mixed": batch}, target=None)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(5))
    np.testing.assert_allclose(line.get_ydata(), [0.5, 0.6, 0.4, 0.6, 0.8])  # then only the long episode
    assert legend_labels(ax) == ["mixed (mean x = 0.57)"]
    (band,) = ax.collections
    low, high = band_limits(band, np.arange(5))
    np.testing.assert_allclose(low, [0.0, 0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(high, [1.0, 1.0, 0.4, 0.6, 0.8])


# ---- the gridworld figures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.73, ".73"), (-0.05, "-.05"), (1.0, "1"), (-1.0, "-1"), (0.5, ".5"), (0.0, "0"), (-0.001, "0"),
     (5.33, "5.3"), (12.34, "12"), (0.999, "1")],
)
def test_cell_text_is_short(value, text):
    assert cell_text(value) == text


def test_grid_cell_numbers_are_lecture_sized_and_fit_their_cells():
    world = make_course_gridworld()
    result = value_iteration(world)
    fig, (ax_r, ax_v) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")  # as notebook 04 draws them
    plot_grid_values(world.reward, world, ax=ax_r, title="true reward R(s)", cmap="coolwarm")
    plot_grid_values(result.V, world, ax=ax_v, title="V*(s)")
    assert small_texts(fig) == []
    renderer = fig.canvas.get_renderer()
    for ax in (ax_r, ax_v):
        assert len(ax.texts) == world.n_states
        assert {t.get_fontsize() for t in ax.texts} == {CELL_FONT_SIZE}
        cell = ax.get_window_extent(renderer).width / world.size
        assert max(t.get_window_extent(renderer).width for t in ax.texts) < 0.85 * cell
    assert colorbar_labels(fig) == ["true reward R(s)", "V*(s)"]


def test_grid_policy_colour_bar_is_labelled():
    world = make_course_gridworld()
    result = value_iteration(world)
    ax = plot_grid_policy(result.policy, world, values=result.V, values_label="V*(s)")
    assert colorbar_labels(ax.figure) == ["V*(s)"]
    assert small_texts(ax.figure) == []


def test_reward_comparison_shares_one_standardised_colour_scale():
    world = make_course_gridworld()
    learned = 3 * world.reward - 2 + 0.1 * np.sin(np.arange(world.n_states))
    fig = plot_reward_comparison(world.reward, learned, world)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    (clim,) = {image.get_clim() for image in images}  # the same range in both panels...
    assert clim[0] == -clim[1]  # ...symmetric about 0
    for image, reward in zip(images, (world.reward, learned), strict=True):
        z = np.asarray(image.get_array()).ravel()
        np.testing.assert_allclose(z, (reward - reward.mean()) / reward.std())
        assert clim[1] == pytest.approx(max(np.abs(z).max() for z in (image.get_array() for image in images)))
    assert colorbar_labels(fig) == ["standardised reward (r − mean) / std"]
    assert small_texts(fig) == []


# ---- the course style ----------------------------------------------------------------------


def test_the_course_style_is_applied_on_import():
    from matplotlib.font_manager import FontProperties

    def points(key: str) -> float:
        return FontProperties(size=matplotlib.rcParams[key]).get_size_in_points()

    assert matplotlib.rcParams["font.size"] >= 12 and points("legend.fontsize") >= 11
    for key in ("axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.title_fontsize"):
        assert points(key) >= MIN_FONT_SIZE, key


def test_every_text_of_the_curves_is_lecture_sized():
    histories, _, _ = seed_histories(5)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    plot_returns({"GAIL": histories, "BC": history({2000: 5.0})}, 500.0, 20.0, ax=axes[0])
    plot_d_over_training(histories, ax=axes[1])
    assert small_texts(fig) == []
    ax = plot_cart_positions({"a": episodes([1.0, 1.2])})
    assert small_texts(ax.figure) == []
    ax = plot_d_histograms(np.array([0.9]), np.array([0.1]))
    assert small_texts(ax.figure) == []


def test_the_package_never_shrinks_text_by_name():
    from pathlib import Path

    package = Path(plotting.__file__).parent
    for module in ("plotting.py", "plotting_gridworld.py", "classroom.py"):
        source = (package / module).read_text()
        assert not re.search(r"fontsize\s*=\s*(['\"](x+-)?small['\"]|[0-9]\b|10\b)", source), module


# ---- the classroom's figures -----------------------------------------------------------------


@pytest.fixture
def captured(monkeypatch) -> list[Figure]:
    """The Figures the classroom renders to PNG (the real PNG is still made)."""
    from gail_helpers import classroom

    figures: list[Figure] = []
    real = classroom.figure_png

    def capture(fig: Figure, dpi: int = 80) -> bytes:
        figures.append(fig)
        return real(fig, dpi)

    monkeypatch.setattr(classroom, "figure_png", capture)
    return figures


def test_classroom_curves_draw_every_seed_with_the_shared_plots(captured):
    from gail_helpers.classroom import curves_png

    histories, returns, d_expert = seed_histories(3)
    png = curves_png(histories, expert_return=500.0, total_steps=10_000)
    assert png.startswith(b"\x89PNG")
    (fig,) = captured
    ax_ret, ax_d = fig.axes
    medians = {m.get_label(): m for m in by_gid(ax_ret, "median")}
    assert set(medians) == {"training episodes (median of 3 seeds, band: IQR)",
                            "greedy evaluation (median of 3 seeds, band: IQR)"}
    np.testing.assert_allclose(medians["greedy evaluation (median of 3 seeds, band: IQR)"].get_ydata(),
                               np.median(returns, axis=0))
    assert medians["training episodes (median of 3 seeds, band: IQR)"].get_alpha() < 1  # drawn faintly
    assert "expert (500)" in legend_labels(ax_ret)
    np.testing.assert_allclose(by_gid(ax_d, "median")[0].get_ydata(), np.median(d_expert, axis=0))
    assert ax_ret.get_xlim() == ax_d.get_xlim() == (0, 10_000)
    assert small_texts(fig) == []


@pytest.mark.parametrize("histories", [None, [], [History()]])
def test_classroom_curves_before_training_show_the_reference_lines(captured, histories):
    from gail_helpers.classroom import curves_png

    assert curves_png(histories, expert_return=500.0, total_steps=10_000).startswith(b"\x89PNG")
    ax_ret, ax_d = captured[0].axes
    assert legend_labels(ax_ret) == ["expert (500)"]
    assert legend_labels(ax_d) == ["D = 1/2 (cannot tell)"]


def test_classroom_curves_of_one_history(captured):
    from gail_helpers.classroom import curves_png

    curves_png(history({2000: 50.0, 4000: 120.0}), expert_return=500.0, total_steps=4000)
    ax_ret, _ = captured[0].axes
    (evaluations,) = [line for line in ax_ret.lines if line.get_label() == "greedy evaluation"]
    np.testing.assert_array_equal(evaluations.get_ydata(), [50.0, 120.0])


def test_classroom_d_map_of_one_seed(captured):
    from gail_helpers.classroom import d_map_png

    assert d_map_png(OneSeedD(), np.zeros((5, 4), dtype=np.float32), "after 0 steps").startswith(b"\x89PNG")
    assert colorbar_labels(captured[0]) == ["D(s, a)   (1 = looks like the expert)"]
    assert small_texts(captured[0]) == []
    with pytest.raises(ValueError, match=r"pass disc\.single"):
        d_map_png(OneSeedD(num_seeds=2), np.zeros((5, 4), dtype=np.float32), "")


# ---- episode rendering --------------------------------------------------------------------


def test_episode_frames_of_the_expert():
    frames, total = episode_frames(load_expert(), max_steps=20)
    assert total == 20.0
    assert len(frames) == 21  # the reset frame and one per step
    assert all(f.shape == (400, 600, 3) and f.dtype == np.uint8 for f in frames)
    assert not np.array_equal(frames[0], frames[-1])  # the cart and pole moved


def test_episode_frames_stop_when_the_episode_ends():
    def push_left(obs: np.ndarray) -> np.ndarray:
        return np.zeros(len(obs), dtype=np.int64)

    frames, total = episode_frames(push_left, max_steps=500)
    assert 5 <= total < 50  # always pushing left topples the pole quickly
    assert len(frames) == total + 1


def test_animate_frames_builds_a_javascript_player():
    frames = [np.full((8, 12, 3), 40 * i, dtype=np.uint8) for i in range(6)]
    html = animate_frames(frames, every=1, title="six")
    assert "<script" in html
    assert "new Animation(" in html
    assert "var frames = new Array(6);" in html
    assert html.count("data:image/png;base64,") == 6
    every_other = animate_frames(frames, every=2)
    assert "var frames = new Array(3);" in every_other
    assert "http" not in html and ".fa-play:before" in html  # offline: icons drawn by local CSS
    assert plt.get_fignums() == []  # the player's figure is closed, nothing is left to display


def test_animate_frames_draws_at_100_dpi_or_more():
    assert plotting.ANIMATION_DPI >= 100
    html = animate_frames([np.zeros((400, 600, 3), dtype=np.uint8)] * 2, every=1)
    frame = base64.b64decode(re.search(r"data:image/png;base64,([^\"]+)", html).group(1).replace("\\n", ""))
    width, height = struct.unpack(">II", frame[16:24])  # the PNG header's size
    assert (width, height) == tuple(round(plotting.ANIMATION_DPI * inches) for inches in plotting.ANIMATION_FIGSIZE)


# ---- per-seed values and learned rewards -----------------------------------------------------


def test_plot_seed_values_draws_the_median_as_a_bar_and_every_seed_as_a_dot():
    ax = plotting.plot_seed_values({"a": [1.0, 5.0, 3.0], "b": [2.0, 2.0, 8.0]}, reference=("expert", 6.0))
    assert [p.get_height() for p in ax.patches] == [3.0, 2.0]
    dots = [c.get_offsets() for c in ax.collections]
    assert sorted(dots[0][:, 1].tolist()) == [1.0, 3.0, 5.0] and sorted(dots[1][:, 1].tolist()) == [2.0, 2.0, 8.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert "expert (6)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(ax.figure)


def test_plot_state_reward_shifts_each_seed_to_a_maximum_of_zero_on_one_colour_scale():
    from gail_helpers.airl import StateReward

    reward = StateReward(4, 8, [0, 1])
    with torch.no_grad():
        reward.net[-1].bias[1] += 100.0  # seed 1's g is seed-0-like plus a constant: it must not show
    fig = plotting.plot_state_reward(reward, resolution=11)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2
    for im in images:
        assert im.get_array().max() == pytest.approx(0.0)
    assert images[0].get_clim() == images[1].get_clim()
    assert [ax.get_title() for ax in fig.axes[:2]] == ["g(s), seed 0", "g(s), seed 1"]
    plt.close(fig)
