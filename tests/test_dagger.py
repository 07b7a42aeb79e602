"""DAgger: asking the expert about the learner's own states repairs behaviour cloning from too few pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig
from gail_helpers.dagger import dagger, epochs_for
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.evaluation import run_episodes_per_seed
from gail_helpers.experts import load_demonstrations, load_expert


def first_pairs(n: int) -> Demonstrations:
    """The shipped expert's first ``n`` pairs: too few for BC on CartPole when n = 20 (notebook 03)."""
    demos = load_demonstrations("cartpole")
    return Demonstrations(demos.obs[:n], demos.actions[:n], np.array([n]), np.zeros(1, np.float32), demos.env_id)


def test_dagger_from_20_pairs_beats_bc_from_the_same_pairs_on_every_seed():
    start, config = first_pairs(20), BCConfig(batch_size=250, num_seeds=3)
    bc = train_bc(start, config.replace(epochs=epochs_for(20, 250, 300)))
    bc_returns = np.array([b.mean_return for b in run_episodes_per_seed(bc.policy, "CartPole-v1", episodes=5)])
    run = dagger(load_expert(), start, config, rounds=1, episodes_per_round=2, gradient_steps=300, eval_episodes=5)
    dagger_returns = np.array([h.rows[-1]["eval_return"] for h in run.histories])
    assert (bc_returns < 300).all(), bc_returns  # BC alone drops the pole early (about 150 on every seed)
    assert (dagger_returns >= 475).all(), dagger_returns
    assert (dagger_returns > bc_returns + 150).all()


def test_each_seed_aggregates_its_own_states_with_the_experts_labels():
    start = first_pairs(20)
    run = dagger(load_expert(), start, BCConfig(num_seeds=2), rounds=2, episodes_per_round=1,
                 gradient_steps=20, eval_episodes=0)
    expert = load_expert()
    for history, data in zip(run.histories, run.data, strict=True):
        assert [row["round"] for row in history.rows] == [0, 1, 2]
        assert history.rows[-1]["pairs"] == len(data.obs) > len(start.obs)
        assert "eval_return" not in history.rows[-1]
        np.testing.assert_array_equal(data.obs[:20], start.obs)  # the demonstrations stay first
        np.testing.assert_array_equal(data.actions[20:], expert.predict(data.obs[20:]))  # the rest: expert labels
        assert data.n_episodes == 3  # the demonstrations, then one pseudo-episode per round
    assert len(run.data[0].obs) != len(run.data[1].obs) or not np.array_equal(run.data[0].obs, run.data[1].obs)


def test_a_seed_gives_the_same_clone_alone_or_beside_other_seeds():
    start = first_pairs(20)
    kwargs = {"rounds": 1, "episodes_per_round": 1, "gradient_steps": 20, "eval_episodes": 0}
    together = dagger(load_expert(), start, BCConfig(seed=4, num_seeds=2), **kwargs)
    alone = dagger(load_expert(), start, BCConfig(seed=5, num_seeds=1), **kwargs)
    states = torch.from_numpy(start.obs).unsqueeze(0)
    torch.testing.assert_close(together.policy.seed_policy(1).actor(states), alone.policy.actor(states))


def test_epochs_for_gives_about_the_asked_gradient_steps_within_bcconfig_range():
    assert epochs_for(20, 250, 300) == 300  # one minibatch of 20 per epoch
    assert epochs_for(500, 250, 300) == 150  # two minibatches per epoch
    assert epochs_for(10_000, 256, 300) == 8  # 39 per epoch: 312 steps
    assert epochs_for(5, 250, 5_000) == 1000  # BCConfig allows at most 1000 epochs
    with pytest.raises(ValueError, match="rounds"):
        dagger(load_expert(), first_pairs(20), BCConfig(), rounds=-1)
