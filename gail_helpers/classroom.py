"""A classroom demo: GAIL learns CartPole from the shipped demonstrations, with live plots.

Built for a lecturer, served with Voilà (``make demo``) or shown in a notebook::

    demo = ClassroomDemo()
    demo            # hyperparameters, Train / Stop, status, live plots, then an animation

**Why a thread.** The kernel handles widget messages (a button click, a slider) only between
cells: while a cell's loop runs, a Stop button would do nothing.  So Train starts
:func:`gail_helpers.gail.train_gail` in a background thread and returns at once.  Its
``callback`` runs after every iteration, in that thread: it redraws the plots now and then
(matplotlib's object-oriented API, rendered to PNG bytes and put into ``ipywidgets.Image``
widgets, which the kernel sends to the page) and returns True once Stop was pressed, which ends
training cleanly and keeps the policy learned so far.
"""

from __future__ import annotations

import html
import io
import threading
import time
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML
from matplotlib.figure import Figure

from gail_helpers.checks import check_bool, check_instance, check_number
from gail_helpers.config import ConfigError, GAILConfig
from gail_helpers.demonstrations import LOAD_HINT, Demonstrations
from gail_helpers.discriminator import Discriminator
from gail_helpers.errors import DemonstrationError
from gail_helpers.evaluation import episode_frames, run_episodes_per_seed
from gail_helpers.experts import load_demonstrations
from gail_helpers.gail import train_gail
from gail_helpers.history import History
from gail_helpers.plotting import (
    animate_frames,
    d_on_grid,
    plot_d_heatmaps,
    plot_d_over_training,
    plot_over_seeds,
    plot_returns,
    seed_columns,
)
from gail_helpers.seeding import HELD_OUT_EVAL_SEED
from gail_helpers.training import TrainingResult
from gail_helpers.widgets import ConfigPanel

DEFAULT_FIELDS = (
    "reward_form", "disc_learning_rate", "ppo.total_steps", "ppo.learning_rate", "ppo.seed", "ppo.num_seeds"
)
"""The controls a lecturer gets: the reward's form, both step sizes, the budget and the seeds."""

DEFAULT_CONFIG = GAILConfig().replace(ppo={"num_seeds": 3})
"""Three seeds at once, as in the notebooks: the plots show the median and the spread."""

EVAL_EPISODES = 10


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """A Figure (object-oriented API, no pyplot: safe in a background thread) as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def curves_png(histories: History | Sequence[History] | None, expert_return: float, total_steps: int) -> bytes:
    """Episode return (training episodes faint, greedy evaluations) and mean D, against env steps.

    ``histories``: one History per seed (or one History), or None before training.  Several
    seeds are drawn as median, interquartile band and faint per-seed lines.
    """
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax_ret, ax_d = fig.subplots(1, 2)
    given = [histories] if isinstance(histories, History) else list(histories or [])
    seeds = [h for h in given if len(h)]
    if seeds and "train_return" in seeds[0].columns:
        steps, train_returns = seed_columns(seeds, "train_return")
        plot_over_seeds(ax_ret, steps, train_returns, "training episodes", color="tab:blue", alpha=0.4)
    plot_returns({"greedy evaluation": seeds} if seeds else {}, expert_return=expert_return, ax=ax_ret,
                 title="Episode return")
    plot_d_over_training(seeds, ax=ax_d)
    ax_ret.set(ylabel="episode return", xlim=(0, total_steps), ylim=(0, 520))
    ax_d.set(title="The discriminator", xlim=(0, total_steps))
    return figure_png(fig)


def d_map_png(disc: Discriminator | None, expert_obs: np.ndarray, label: str) -> bytes:
    """One seed's D(s, a) over pole angle x angular velocity, one map per action, expert states dotted.

    ``disc``: a one-seed discriminator (``disc.single(i)`` of a seed-batched one), or None before training.
    """
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    if disc is None:
        for ax in axes:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "D(s, a) appears here\nonce training starts", ha="center", va="center",
                    fontsize=12, color="grey", transform=ax.transAxes)
    else:
        plot_d_heatmaps(d_on_grid(disc, label=label), expert_obs=expert_obs, axes=list(axes))
    return figure_png(fig)


class ClassroomDemo:
    """Hyperparameters, Train / Stop, a status line, live plots and an animation of the learner.

    ``refresh_seconds``: the plots are redrawn after the first iteration, then at most this
    often (each redraw costs a fraction of a second of the training thread's time).
    ``animate``: after training, render one greedy episode of the learner as an animation.
    Display the demo (its :attr:`widget`) in a notebook cell or a Voilà page.
    """

    def __init__(
        self,
        demos: Demonstrations | None = None,
        config: GAILConfig | None = None,
        fields: Sequence[str] = DEFAULT_FIELDS,
        env_id: str | None = None,
        refresh_seconds: float = 3.0,
        animate: bool = True,
    ) -> None:
        self.demos = demos if demos is not None else load_demonstrations("cartpole")
        check_instance("demos", self.demos, Demonstrations, LOAD_HINT, DemonstrationError)
        self.env_id = env_id or self.demos.env_id
        self.refresh_seconds = check_number("refresh_seconds", refresh_seconds)
        self.animate = check_bool("animate", animate)
        self.expert_return = float(self.demos.mean_return)
        step = max(1, len(self.demos.obs) // 2000)
        self._expert_obs = np.asarray(self.demos.obs)[::step]  # enough dots to show where the expert goes

        self.panel = ConfigPanel(config or DEFAULT_CONFIG, fields, title="GAIL", hint="press Train to use these values")
        self.train_button = widgets.Button(description="Train", icon="play", button_style="success",
                                           tooltip="start GAIL with these hyperparameters (a new learner)")
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="danger", disabled=True,
                                          tooltip="end training after this iteration; keep the policy learned so far")
        self.status = widgets.HTML()
        self.curves = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="900px"))
        self.d_map = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="900px"))
        self.animation = widgets.Output()
        for widget, name in ((self.status, "status"), (self.curves, "curves"), (self.d_map, "d-map"),
                             (self.animation, "animation")):
            widget.add_class(f"classroom-{name}")  # stable handles for the browser test and for styling
        self.train_button.on_click(lambda _button: self.train())
        self.stop_button.on_click(lambda _button: self.stop())
        self.widget = widgets.VBox([
            self.panel,
            widgets.HBox([self.train_button, self.stop_button]),
            self.status,
            self.curves,
            self.d_map,
            self.animation,
        ])

        self.state = "idle"  # idle -> running -> (stopping ->) evaluating -> done | stopped | failed
        self.result: TrainingResult | None = None
        self.final_return: float | None = None
        self.error: BaseException | None = None
        self.plot_updates = 0
        self._config = self.panel.base
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_draw = 0.0
        self._draw(None, "")
        self._set_status(
            f"Press <b>Train</b> to run GAIL on {html.escape(self.env_id)} from {self.demos.n_episodes} expert "
            "episodes; <b>Stop</b> ends training early and keeps the policy learned so far."
        )

    # ---- display

    def _repr_mimebundle_(self, **kwargs):
        """Display as the widget (IPython's display protocol)."""
        return self.widget._repr_mimebundle_(**kwargs)

    # ---- the buttons

    @property
    def running(self) -> bool:
        """True while the training thread is alive (training, stopping or evaluating)."""
        return self._thread is not None and self._thread.is_alive()

    def train(self) -> None:
        """Start a new training run in a background thread (the Train button); returns at once."""
        if self.running:
            return
        try:
            config = self.panel.config()
        except ConfigError as exc:
            self._set_status(f"✗ {html.escape(str(exc))}", "#b00020")
            return
        self._config = config
        self._stop.clear()
        self._last_draw = 0.0
        self.result, self.final_return, self.error = None, None, None
        self.animation.clear_output()
        self._set_running(True)
        self.state = "running"
        self._set_status(f"● Training started: 0 of {config.ppo.total_steps:,} steps…")
        self._thread = threading.Thread(target=self._run, args=(config,), name="gail-classroom-demo", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask training to end after the current iteration (the Stop button); the policy is kept."""
        if self.running and self.state == "running":
            self._stop.set()
            self.state = "stopping"
            self.stop_button.disabled = True
            self._set_status("■ Stopping after this iteration…")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the training thread has finished; False if it is still running."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    # ---- the training thread

    def _run(self, config: GAILConfig) -> None:
        try:
            result = train_gail(self.demos, config, self.env_id, callback=self._callback, progress=False)
            self.result = result
            steps = _steps(result)
            stopped = result.stop_reason != "completed"
            self._draw(result, f"after {steps:,} steps")
            self.state = "evaluating"
            self.stop_button.disabled = True  # nothing left to stop: evaluation and animation are short
            self._set_status(f"{'■ Stopped' if stopped else '✓ Done'} after {steps:,} steps: evaluating the learner…")
            batches = run_episodes_per_seed(result.policy, self.env_id, EVAL_EPISODES, HELD_OUT_EVAL_SEED)
            per_seed = [b.mean_return for b in batches]
            self.final_return = float(np.median(per_seed))
            if self.animate:
                frames, episode_return = episode_frames(result.policy.seed_policy(0), self.env_id, seed=0)
                title = f"GAIL learner (seed {result.seeds[0]}) after {steps:,} steps: return {episode_return:.0f}"
                self.animation.append_display_data(HTML(animate_frames(frames, title=title)))
            each = " / ".join(f"{r:.0f}" for r in per_seed)
            greedy = (f"greedy return of the learned policies: median <b>{self.final_return:.0f}</b> over "
                      f"{len(per_seed)} seed(s) ({each}; {EVAL_EPISODES} episodes each)")
            if stopped:
                self.state = "stopped"
                self._set_status(
                    f"■ Stopped after {steps:,} of {config.ppo.total_steps:,} steps; the policy learned so far is "
                    f"kept: {greedy}."
                )
            else:
                self.state = "done"
                self._set_status(f"✓ Done: {steps:,} steps; {greedy} (expert: {self.expert_return:.0f}).")
        except Exception as exc:  # shown in the page; the thread must not die silently
            self.error = exc
            self.state = "failed"
            self._set_status(f"✗ Training failed: {html.escape(type(exc).__name__)}: {html.escape(str(exc))}",
                             "#b00020")
        finally:
            self._set_running(False)

    def _callback(self, result: TrainingResult) -> bool:
        """After every iteration: redraw now and then, report progress; True = stop now."""
        now = time.monotonic()
        steps = _steps(result)
        if now - self._last_draw >= self.refresh_seconds:  # the first iteration always draws
            self._draw(result, f"after {steps:,} steps")
        if self.state == "running":
            figures = [f"{steps:,} of {self._config.ppo.total_steps:,} steps"]
            evals = [h.evaluations()[1] for h in result.histories]
            if all(len(e) for e in evals):
                figures.append(f"last greedy return (median over seeds) {np.median([e[-1] for e in evals]):.0f}")
            rows = [h.rows[-1] for h in result.histories]
            if "d_expert" in rows[0]:
                d_expert, d_policy = (np.median([r[k] for r in rows]) for k in ("d_expert", "d_policy"))
                figures.append(f"D(expert) {d_expert:.2f}, D(policy) {d_policy:.2f}")
            self._set_status("● Training: " + " · ".join(figures))
        return self._stop.is_set()

    # ---- helpers

    def _draw(self, result: TrainingResult | None, label: str) -> None:
        total = self._config.ppo.total_steps
        histories = result.histories if result is not None else None
        self.curves.value = curves_png(histories, self.expert_return, total)
        disc = result.discriminator.single(0) if result is not None else None
        label = f"(seed {result.seeds[0]}) {label}" if result is not None else label
        self.d_map.value = d_map_png(disc, self._expert_obs, label)
        self._last_draw = time.monotonic()
        self.plot_updates += 1

    def _set_running(self, running: bool) -> None:
        self.train_button.disabled = running
        self.stop_button.disabled = not running
        for control in self.panel.controls.values():
            control.disabled = running

    def _set_status(self, text: str, color: str = "#222") -> None:
        self.status.value = f"<div style='font-size:1.1em;color:{color}'>{text}</div>"


def _steps(result: TrainingResult) -> int:
    history = result.histories[0]
    return int(history.rows[-1]["env_steps"]) if len(history) else 0
