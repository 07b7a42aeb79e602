"""The benchmark's bookkeeping: figures from a history, medians and targets, the command line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gail_helpers import bench
from gail_helpers.history import History


def history(evals: dict[int, float]) -> History:
    rows = []
    for i, steps in enumerate(range(5_000, 30_001, 5_000)):
        rows.append({"iteration": i, "env_steps": steps, "seconds": steps / 5_000.0,
                     "eval_return": evals.get(steps, math.nan)})
    return History(rows)


def test_learning_figures_find_the_first_475_and_the_worst_return_after_it():
    figures = bench.learning_figures(history({5_000: 100.0, 10_000: 480.0, 15_000: 430.0, 30_000: 500.0}))
    assert figures["steps_to_475"] == 10_000
    assert figures["seconds_to_475"] == 2.0
    assert figures["min_return_after_475"] == 430.0
    assert figures["evals"] == [[5_000, 100.0], [10_000, 480.0], [15_000, 430.0], [30_000, 500.0]]
    assert figures["final_return"] == 500.0
    assert figures["steps_per_second"] == 5_000


def test_a_run_that_never_reaches_475_has_no_steps_to_475():
    figures = bench.learning_figures(history({5_000: 100.0, 30_000: 300.0}))
    assert figures["steps_to_475"] is None and figures["min_return_after_475"] is None


def gail_row(steps, seconds, worst):
    return {"steps_to_475": steps, "seconds_to_475": seconds, "min_return_after_475": worst,
            "final_return": 500.0, "steps_per_second": 6000}


def test_gail_targets_need_the_median_and_every_seed_stable():
    good = [gail_row(20_000, 4.0, 500.0), gail_row(30_000, 6.0, 490.0), gail_row(60_000, 12.0, 480.0)]
    summary = bench.summary("gail", good)
    assert summary["median_steps_to_475"] == 30_000 and summary["median_seconds_to_475"] == 6.0
    assert summary["target_475_within_50k_steps"] is True
    assert summary["target_stays_475_through_150k"] is True
    assert "target_475_within_50k_steps_and_8s" not in summary  # seconds are the seed_batching case's now

    one_dip = [*good[:2], gail_row(20_000, 4.0, 300.0)]
    assert bench.summary("gail", one_dip)["target_stays_475_through_150k"] is False


def test_seeds_that_never_solve_count_as_infinitely_slow_in_the_median():
    rows = [gail_row(20_000, 4.0, 500.0), gail_row(None, None, None), gail_row(None, None, None)]
    summary = bench.summary("gail", rows)
    assert summary["median_steps_to_475"] == math.inf
    assert summary["target_475_within_50k_steps"] is False
    assert summary["target_stays_475_through_150k"] is False


def test_the_50k_target_is_on_the_median_not_on_every_seed():
    rows = [gail_row(20_000, 4.0, 500.0), gail_row(50_000, 10.0, 500.0), gail_row(140_000, 30.0, 490.0)]
    assert bench.summary("gail", rows)["target_475_within_50k_steps"] is True
    rows[1] = gail_row(55_000, 11.0, 500.0)
    assert bench.summary("gail", rows)["target_475_within_50k_steps"] is False


def test_the_control_cases_report_medians_without_targets():
    rows = [gail_row(20_000, 4.0, 500.0), gail_row(40_000, 8.0, 480.0)]
    for case in ("ppo_gail_learner", "gail_frozen_d", "gail_no_demos"):
        summary = bench.summary(case, rows)
        assert summary["median_steps_to_475"] == 30_000 and summary["seeds"] == 2
        assert summary["steps_per_second_all_seeds"] == 12_000
        assert not any(k.startswith("target") for k in summary), case
    assert bench.summary("ppo", rows)["target_475_within_50k_steps"] is True
    assert "ppo_gail_learner" in bench.CASES


def test_a_learning_case_trains_all_its_seeds_in_one_run_and_returns_one_row_per_seed(monkeypatch):
    calls = []

    def fake_train_ppo(config, **kwargs):
        calls.append(config)
        histories = [history({5_000: 100.0 + s, 30_000: 480.0 + s}) for s in range(config.num_seeds)]
        return bench.TrainingResult(policy=None, histories=histories, seeds=config.seeds)

    monkeypatch.setattr(bench, "train_ppo", fake_train_ppo)
    rows = bench.case_ppo_gail_learner([4, 5, 6])
    assert len(calls) == 1
    assert (calls[0].seed, calls[0].num_seeds, calls[0].total_steps) == (4, 3, bench.BUDGET)
    assert calls[0].gamma == bench.GAIL_PPO.gamma and calls[0].num_minibatches == bench.GAIL_PPO.num_minibatches
    assert [r["final_return"] for r in rows] == [480.0, 481.0, 482.0]
    assert [r["steps_to_475"] for r in rows] == [30_000] * 3


def test_the_seed_batching_case_runs_one_and_five_seeds_in_turn_and_takes_the_median_ratio(monkeypatch, capsys):
    walls = iter([10.0, 14.0, 20.0, 22.0, 10.0, 16.0])  # S = 1, S = 5, in turn; the second pair ran slow
    calls = []

    def fake(num_seeds):
        calls.append(num_seeds)
        return {"case": "seed_batching", "seeds": num_seeds, "wall_s": next(walls)}

    monkeypatch.setattr(bench, "seed_batching", fake)
    bench.main(["--cases", "seed_batching"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert calls == [1, 5] * bench.SEED_BATCHING_PAIRS
    assert [line["case"] for line in lines] == ["machine", "seed_batching", "seed_batching", "seed_batching"]
    one, five, summary = lines[1:]
    assert (one["seeds"], one["wall_s"], one["wall_s_every_run"]) == (1, 10.0, [10.0, 20.0, 10.0])
    assert (five["seeds"], five["wall_s"], five["wall_s_every_run"]) == (5, 16.0, [14.0, 22.0, 16.0])
    assert summary["wall_ratio_every_pair"] == [1.4, 1.1, 1.6]
    assert summary["summary"] and summary["wall_ratio_5_to_1"] == 1.4  # the median pair, not 16 / 10
    assert summary["target_5_seeds_within_1.5x_of_1"] is True


def test_seed_batching_times_a_gail_run_and_breaks_its_time_down(monkeypatch):
    monkeypatch.setattr(bench, "SEED_BATCHING_STEPS", 1_024)  # two iterations of GAIL's learner
    line = bench.seed_batching(2)
    assert line["case"] == "seed_batching" and line["seeds"] == 2
    assert line["env_steps_per_seed"] == 1_024
    assert line["wall_s"] > 0 and line["env_steps_per_s"] == pytest.approx(2 * 1_024 / line["wall_s"], rel=0.02)
    parts = line["breakdown"]
    assert set(parts) == {"env stepping", "policy in the rollout", "discriminator", "PPO update", "evaluation", "other"}
    measured = ("env stepping", "policy in the rollout", "discriminator", "PPO update", "evaluation")
    assert all(parts[k] >= 0 for k in measured) and parts["PPO update"] > 0
    assert sum(parts.values()) == pytest.approx(line["wall_s"], abs=0.05)


def test_the_command_prints_json_lines_for_the_machine_each_seed_and_a_summary(capsys):
    bench.main(["--cases", "maxent_irl", "--seeds", "2"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["case"] for line in lines] == ["machine", "maxent_irl", "maxent_irl", "maxent_irl"]
    assert lines[0]["cores"] >= 1 and lines[0]["torch_threads"] == 1
    assert [line.get("seed") for line in lines[1:3]] == [0, 1]
    assert lines[3]["summary"] and lines[3]["target_pearson_0.9_within_2s"] is True


def test_the_command_refuses_zero_seeds(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--seeds", "0"])
    assert "--seeds 0: allowed is 1 or more" in capsys.readouterr().err


def test_the_airl_summary_counts_seeds_whose_fresh_learner_on_g_keeps_the_style():
    rows = [{"expert_mean_x": 0.85, "original_on_g_gap": gap, "original_on_g_return": 500.0,
             "reversed_push_bc_gap": 0.8} for gap in (0.1, 0.2, 0.3, 0.05, 0.25)]
    out = bench.summary("airl", rows)
    assert out["seeds_on_g_within_0.25_original"] == 4
    assert out["target_on_g_within_0.25_on_4_of_5"] is True
    assert out["median_original_on_g_gap"] == 0.2 and out["median_reversed_push_bc_gap"] == 0.8
    rows[0]["original_on_g_gap"] = 0.4
    assert bench.summary("airl", rows)["target_on_g_within_0.25_on_4_of_5"] is False


def test_the_normalised_score_is_zero_for_random_and_one_for_the_expert():
    scores = bench.normalised_score([-1200.0, -150.0, -675.0, -100.0], random_return=-1200.0, expert_return=-150.0)
    assert scores.tolist() == pytest.approx([0.0, 1.0, 0.5, 1100 / 1050])


def test_classic_control_scores_every_seed_on_held_out_episodes_against_expert_and_random():
    config = bench.GAILConfig(reward_form="log D").replace(ppo={"total_steps": 1_024})
    task = bench.ClassicTask("MountainCar", "mountaincar", config, goal=True, target=0.9)
    row = bench.classic_control(task, [3, 4])
    assert (row["task"], row["reward_form"], row["seeds"]) == ("MountainCar", "log D", 2)
    assert row["env_steps_per_seed"] == 1_024
    assert row["random_return"] == -200.0 and -130 < row["expert_return"] < -100  # random never reaches the flag
    expected = bench.normalised_score(row["returns"], row["random_return"], row["expert_return"])
    assert row["scores"] == pytest.approx(expected.tolist(), abs=1e-3)
    assert row["median_score"] == pytest.approx(float(np.median(expected)), abs=1e-3)
    assert row["min_max_score"] == pytest.approx([expected.min(), expected.max()], abs=1e-3)
    assert len(row["share_reaching_the_goal"]) == 2 and all(0 <= s <= 1 for s in row["share_reaching_the_goal"])
    assert row["target_median_score_0.9"] is (row["median_score"] >= 0.9)


def test_the_classic_control_case_prints_one_line_per_task_and_a_summary_with_the_targets(monkeypatch, capsys):
    def fake(task, seeds):
        return {"case": "classic_control", "task": task.label, "reward_form": task.config.reward_form,
                "seeds": len(seeds), "median_score": 0.5, **({f"target_median_score_{task.target}": False}
                                                              if task.target else {})}

    monkeypatch.setattr(bench, "classic_control", fake)
    bench.main(["--cases", "classic_control", "--seeds", "2"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tasks = [line["task"] for line in lines[1:-1]]
    assert tasks[:2] == ["CartPole-v1", "Pendulum-v1"] and len(tasks) == len(bench.CLASSIC_CONTROL) == 8
    summary = lines[-1]
    assert summary["summary"] and summary["target_median_score_0.9_CartPole-v1"] is False
    assert "target_median_score_0.9_Pendulum-v1" in summary and "gail_paper_figures" in summary
    assert summary["median_scores"]["MountainCar-v0 (observations rescaled), r = log D"] == 0.5
    assert len(summary["median_scores"]) == 8
