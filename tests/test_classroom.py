"""The classroom demo without a browser: buttons clicked in code, training in its thread."""

from __future__ import annotations

import math
import time

import ipywidgets as widgets

from gail_helpers import classroom
from gail_helpers.classroom import ClassroomDemo
from gail_helpers.config import GAILConfig, PPOConfig
from gail_helpers.policies import ActorCritic

PNG = b"\x89PNG\r\n\x1a\n"
TINY = GAILConfig(ppo=PPOConfig(total_steps=1024, num_envs=4, num_steps=64, eval_every=512, eval_episodes=2))
# two seeds, as the demo's default (three) trains several; seed 1's short greedy episode keeps the animation quick
TWO_SEEDS = TINY.replace(ppo={"seed": 1, "num_seeds": 2})
LONG = GAILConfig(ppo=PPOConfig(total_steps=500_000, num_envs=4, num_steps=64, eval_every=0))


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_demo_shows_controls_buttons_and_placeholder_plots():
    demo = ClassroomDemo(config=TINY, animate=False)
    assert isinstance(demo.widget, widgets.VBox)
    assert set(demo.panel.controls) == set(classroom.DEFAULT_FIELDS)
    assert bytes(demo.curves.value).startswith(PNG) and bytes(demo.d_map.value).startswith(PNG)
    assert not demo.train_button.disabled and demo.stop_button.disabled
    assert demo.state == "idle" and "Train" in demo.status.value
    assert "press Train" in demo.panel.status.value  # not "re-run the training cell"
    assert "application/vnd.jupyter.widget-view+json" in demo._repr_mimebundle_()


def test_train_runs_in_the_background_updates_the_plots_and_reports_done():
    demo = ClassroomDemo(config=TWO_SEEDS, refresh_seconds=600.0)  # draws after the first iteration and the last
    first_curves, first_map, draws = demo.curves.value, demo.d_map.value, demo.plot_updates
    demo.train_button.click()
    assert demo.running or demo.state != "idle"  # click returns at once; training goes on in a thread
    assert demo.wait(timeout=180)
    assert demo.state == "done", demo.status.value
    assert demo.result is not None and demo.result.completed
    assert demo.result.seeds == [1, 2] and all(len(h) == TINY.ppo.iterations for h in demo.result.histories)
    assert demo.plot_updates > draws + 1
    assert demo.curves.value != first_curves and demo.d_map.value != first_map
    assert bytes(demo.curves.value).startswith(PNG) and bytes(demo.d_map.value).startswith(PNG)
    assert math.isfinite(demo.final_return)
    assert "Done" in demo.status.value and "1,024 steps" in demo.status.value
    assert "over 2 seed(s)" in demo.status.value
    assert len(demo.animation.outputs) == 1 and "<img" in demo.animation.outputs[0]["data"]["text/html"]
    assert not demo.train_button.disabled and demo.stop_button.disabled
    assert not any(c.disabled for c in demo.panel.controls.values())


def test_stop_ends_training_early_and_keeps_the_policy():
    demo = ClassroomDemo(config=LONG, refresh_seconds=0.0, animate=False)
    demo.train_button.click()
    thread = demo._thread
    wait_for(lambda: demo.plot_updates >= 3)  # the plots update while it trains
    assert demo.state == "running" and "Training" in demo.status.value
    assert demo.train_button.disabled and not demo.stop_button.disabled
    assert all(c.disabled for c in demo.panel.controls.values())
    demo.train_button.click()  # ignored while running
    assert demo._thread is thread
    demo.stop_button.click()
    assert demo.wait(timeout=120)
    assert demo.state == "stopped", demo.status.value
    result = demo.result
    assert result is not None and result.stop_reason == "stopped"
    steps = int(result.history.rows[-1]["env_steps"])
    assert 0 < steps < LONG.ppo.total_steps
    assert isinstance(result.policy, ActorCritic) and result.discriminator is not None
    assert math.isfinite(demo.final_return)
    assert f"Stopped after {steps:,} of 500,000 steps" in demo.status.value
    assert not demo.train_button.disabled and demo.stop_button.disabled


def test_the_default_demo_trains_three_seeds_with_the_seeds_among_its_controls():
    assert classroom.DEFAULT_CONFIG.ppo.num_seeds == 3
    assert {"ppo.seed", "ppo.num_seeds"} <= set(classroom.DEFAULT_FIELDS)
    demo = ClassroomDemo(animate=False)
    assert demo.panel.config().ppo.seeds == [0, 1, 2]


def test_the_callback_gets_the_result_and_asks_to_stop_only_after_stop(monkeypatch):
    seen, status = [], []

    def fake_train_gail(demos, config, env_id, *, callback, progress):
        from gail_helpers.history import History
        from gail_helpers.training import TrainingResult

        histories = [History() for _ in config.ppo.seeds]
        result = TrainingResult(policy=None, histories=histories, seeds=config.ppo.seeds)
        for i in range(3):
            for s, h in enumerate(histories):
                h.append({"iteration": i, "env_steps": 256 * (i + 1), "d_expert": 0.6 + 0.1 * s, "d_policy": 0.4})
            seen.append(callback(result))
            if i == 0:
                status.append(demo.status.value)
            if i == 1:
                demo.stop()
        raise RuntimeError("end of the fake run")

    monkeypatch.setattr(classroom, "train_gail", fake_train_gail)
    monkeypatch.setattr(ClassroomDemo, "_draw", lambda self, result, label: None)
    demo = ClassroomDemo(config=TWO_SEEDS, animate=False)
    demo.train_button.click()
    assert demo.wait(timeout=30)
    assert seen == [False, False, True]
    # the status line shows the median over the seeds' latest rows
    assert "256 of 1,024 steps" in status[0] and "D(expert) 0.65, D(policy) 0.40" in status[0]
    assert demo.state == "failed" and "end of the fake run" in demo.status.value


def test_an_invalid_value_is_refused_with_the_field_named():
    demo = ClassroomDemo(config=TINY, animate=False)
    demo.panel.controls["ppo.total_steps"].value = 10  # below the allowed 1,000
    demo.train_button.click()
    assert demo.state == "idle" and not demo.running
    assert "total_steps" in demo.status.value and "✗" in demo.status.value


def test_a_failure_in_training_is_shown_in_the_status(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(classroom, "train_gail", broken)
    demo = ClassroomDemo(config=TINY, animate=False)
    demo.train_button.click()
    assert demo.wait(timeout=30)
    assert demo.state == "failed" and isinstance(demo.error, RuntimeError)
    assert "simulated failure" in demo.status.value
    assert not demo.train_button.disabled and demo.stop_button.disabled


def test_stop_when_idle_does_nothing():
    demo = ClassroomDemo(config=TINY, animate=False)
    demo.stop()
    assert demo.state == "idle" and not demo.running
