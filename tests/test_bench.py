"""The benchmark's bookkeeping: figures from a history, medians and targets, the command line."""

from __future__ import annotations

import json
import math

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
    assert summary["target_475_within_50k_steps_and_8s"] is True
    assert summary["target_stays_475_through_150k"] is True

    one_dip = [*good[:2], gail_row(20_000, 4.0, 300.0)]
    assert bench.summary("gail", one_dip)["target_stays_475_through_150k"] is False


def test_seeds_that_never_solve_count_as_infinitely_slow_in_the_median():
    rows = [gail_row(20_000, 4.0, 500.0), gail_row(None, None, None), gail_row(None, None, None)]
    summary = bench.summary("gail", rows)
    assert summary["median_steps_to_475"] == math.inf
    assert summary["target_475_within_50k_steps_and_8s"] is False


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
