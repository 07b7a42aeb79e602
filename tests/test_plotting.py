"""Tests for the plots (asserting on the drawn artists), episode rendering and the History table."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.image import AxesImage

from gail_helpers.discriminator import Discriminator
from gail_helpers.evaluation import EpisodeBatch, episode_frames
from gail_helpers.experts import load_expert
from gail_helpers.history import History
from gail_helpers.plotting import (
    animate_frames,
    d_on_grid,
    plot_cart_positions,
    plot_d_heatmaps,
    plot_d_histograms,
    plot_d_over_training,
    plot_returns,
)
from gail_helpers.policies import ActionSpec


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


def legend_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


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


def test_without_drops_columns_and_leaves_the_history_intact():
    h = history({2000: 50.0})
    rows = h.without("seconds", "d_policy")
    assert [set(r) for r in rows] == [{"iteration", "env_steps", "d_expert"}] + [
        {"iteration", "env_steps", "d_expert", "eval_return"}
    ] + [{"iteration", "env_steps", "d_expert"}] * 2
    assert "seconds" in h.columns  # not modified
    # two runs that differ only in wall-clock time compare equal once `seconds` is dropped
    other = History([{**r, "seconds": 99.0} for r in h.rows])
    assert other.rows != h.rows
    assert other.without("seconds") == h.without("seconds")


# ---- return and D curves ------------------------------------------------------------------


def test_plot_returns_one_line_per_run_and_reference_lines():
    runs = {"gail": history({2000: 50.0, 4000: 120.0}), "bc": history({1000: 10.0, 3000: 30.0, 4000: 40.0})}
    ax = plot_returns(runs, expert_return=500.0, random_return=22.4)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["gail", "bc", "expert (500)", "random (22)"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [2000, 4000])
    np.testing.assert_array_equal(lines[0].get_ydata(), [50.0, 120.0])
    np.testing.assert_array_equal(lines[1].get_ydata(), [10.0, 30.0, 40.0])
    assert list(lines[2].get_ydata()) == [500.0, 500.0]  # horizontal reference lines
    assert list(lines[3].get_ydata()) == [22.4, 22.4]
    assert legend_labels(ax) == ["gail", "bc", "expert (500)", "random (22)"]
    assert ax.get_xlabel() == "environment steps"


def test_plot_returns_single_history_without_references():
    ax = plot_returns(history({4000: 77.0}))
    assert [line.get_label() for line in ax.get_lines()] == ["learner"]
    assert legend_labels(ax) == ["learner"]


def test_plot_returns_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    assert plot_returns(history({4000: 77.0}), ax=ax) is ax
    assert len(fig.axes) == 1


def test_plot_d_over_training_has_both_curves_the_half_line_and_unit_ylim():
    h = history({})
    ax = plot_d_over_training(h)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"D on expert pairs", "D on policy pairs", "D = 1/2 (cannot tell)"}
    np.testing.assert_allclose(lines["D on expert pairs"].get_ydata(), h["d_expert"])
    np.testing.assert_allclose(lines["D on policy pairs"].get_ydata(), h["d_policy"])
    assert list(lines["D = 1/2 (cannot tell)"].get_ydata()) == [0.5, 0.5]
    assert ax.get_ylim() == (0.0, 1.0)


# ---- the discriminator on a grid ----------------------------------------------------------


@pytest.fixture
def disc() -> Discriminator:
    torch.manual_seed(0)
    return Discriminator(4, ActionSpec(True, 2))


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
            expected = disc.prob(obs, torch.tensor([a])).item()
            assert grid.d[a, i, j] == pytest.approx(expected, abs=1e-6), (a, i, j)
    assert grid.xs[2] == pytest.approx(0.0) and grid.ys[2] == pytest.approx(0.0)


def test_d_on_grid_needs_discrete_actions():
    continuous = Discriminator(3, ActionSpec(False, 1, (-2.0,), (2.0,)))
    with pytest.raises(ValueError, match=r"one panel per action: it needs a discrete action space"):
        d_on_grid(continuous)


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
        assert image.get_clim() == (0, 1)
        assert len(ax.collections) == 1  # the expert states
    assert [ax.get_title() for ax in panels] == ["D(s, push left) after 0 steps", "D(s, push right) after 0 steps"]
    assert panels[0].get_xlabel() == "pole angle θ (rad)"
    assert len(fig.axes) == 3  # two panels and the colour bar


def test_plot_d_histograms_legend_shows_the_means():
    ax = plot_d_histograms(np.array([0.9, 0.8, 0.7]), np.array([0.1, 0.2, 0.45]))
    assert legend_labels(ax) == ["expert (mean 0.80)", "policy (mean 0.25)"]
    counts = [sum(p.get_height() for p in container) for container in ax.containers]
    assert counts == [3, 3]


def test_plot_cart_positions_labels_show_the_mean_x():
    ones = EpisodeBatch(
        returns=np.array([3.0, 3.0]),
        observations=[np.array([[1.0, 0, 0, 0], [1.2, 0, 0, 0], [1.4, 0, 0, 0]]),
                      np.array([[0.6, 0, 0, 0], [0.8, 0, 0, 0], [1.0, 0, 0, 0]])],
        actions=[np.zeros(3), np.zeros(3)],
    )
    centre = EpisodeBatch(
        returns=np.array([3.0]),
        observations=[np.array([[0.0, 0, 0, 0], [-0.1, 0, 0, 0], [0.1, 0, 0, 0]])],
        actions=[np.zeros(3)],
    )
    ax = plot_cart_positions({"styled": ones, "ppo": centre})
    assert legend_labels(ax) == ["styled (mean x = 1.00)", "ppo (mean x = 0.00)", "x = +1"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.8, 1.0, 1.2])  # mean over episodes per step
    assert list(ax.get_lines()[-1].get_ydata()) == [1.0, 1.0]


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


def test_history_nan_return_is_not_plotted():
    h = History([{"env_steps": 1.0, "eval_return": math.nan}, {"env_steps": 2.0, "eval_return": 9.0}])
    ax = plot_returns(h)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [9.0])


def test_d_snapshots_keep_the_chosen_slice_at_the_chosen_iterations():
    from types import SimpleNamespace

    from gail_helpers.plotting import DSnapshots

    disc = Discriminator(4, ActionSpec(True, 2))
    snapshots = DSnapshots(iterations=[1], dims=(0, 1), limits=((-2.4, 2.4), (-2.0, 2.0)))
    for iteration in range(3):
        snapshots({"iteration": iteration, "env_steps": 512 * (iteration + 1)}, SimpleNamespace(discriminator=disc))
    (grid,) = snapshots.grids
    assert grid.dims == (0, 1) and grid.label == "after 1,024 steps"
    assert grid.xs[0] == pytest.approx(-2.4) and grid.ys[-1] == pytest.approx(2.0)
