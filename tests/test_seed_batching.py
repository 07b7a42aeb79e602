"""Seed batching: S seeds trained at once are S independent runs.

Seed s of a batched run starts, acts and learns like a run of seed s alone (up to the last bits
of the float kernels), nothing one seed does reaches another, and the helpers that must keep the
seeds apart (means, normalisation, minibatches, gradient clipping, random streams) are checked
against hand computations.
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch import nn

from gail_helpers import bc, rollout, training
from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig, GAILConfig, PPOConfig
from gail_helpers.discriminator import Discriminator, DiscriminatorTrainer
from gail_helpers.env_groups import EnvGroups
from gail_helpers.envs import env_signature, make_vector_env
from gail_helpers.evaluation import run_episodes, run_episodes_per_seed
from gail_helpers.experts import load_demonstrations
from gail_helpers.gail import train_gail
from gail_helpers.history import History
from gail_helpers.networks import take_seed
from gail_helpers.policies import ActionSpec, ActorCritic
from gail_helpers.ppo import ppo_update
from gail_helpers.seed_axis import clip_grad_norm_per_seed, gather, masked_mean, minibatch_indices, normalise
from gail_helpers.seeding import STREAMS, generators, stream_seed
from gail_helpers.training import TrainingResult, train_ppo

CARTPOLE = ActionSpec(True, 2)
PENDULUM = ActionSpec(False, 1, low=(-2.0,), high=(2.0,))
# two iterations of 4 envs x 128 steps; seeds 5, 6, 7 batched against seed 6 alone
TINY = PPOConfig(total_steps=1_024, num_envs=4, num_steps=128, eval_every=0)
BATCHED, ALONE = TINY.replace(seed=5, num_seeds=3), TINY.replace(seed=6)
PPO_STATS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "reward_mean")


class RecordingCollector(training.RolloutCollector):
    """The training loop's collector, keeping the policy's initial weights and every rollout."""

    runs: ClassVar[list[dict]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        initial = {k: v.clone() for k, v in self.policy.state_dict().items()}
        self.record = {"initial": initial, "rollouts": []}
        RecordingCollector.runs.append(self.record)

    def collect(self, num_steps: int):
        out = super().collect(num_steps)
        self.record["rollouts"].append(out)
        return out


@pytest.fixture
def recorded(monkeypatch) -> list[dict]:
    RecordingCollector.runs = []
    monkeypatch.setattr(training, "RolloutCollector", RecordingCollector)
    return RecordingCollector.runs


def assert_rows_match(batched: dict, alone: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        assert batched[key] == pytest.approx(alone[key], rel=1e-4, abs=1e-7), key


# ---- seed s of a batched run is the run of seed s alone ------------------------------------------


def test_seed_index_1_of_a_batched_ppo_run_is_a_run_of_its_seed_alone(recorded):
    batched = train_ppo(BATCHED, progress=False)
    alone = train_ppo(ALONE, progress=False)
    assert batched.seeds == [5, 6, 7] and alone.seeds == [6]
    run_b, run_a = recorded
    for name, weights in run_a["initial"].items():  # the same initial weights, bit for bit
        assert torch.equal(run_b["initial"][name][1:2], weights), name
    first_b, first_a = run_b["rollouts"][0], run_a["rollouts"][0]
    assert torch.equal(first_b.obs[:, 1], first_a.obs[:, 0])
    assert torch.equal(first_b.actions[:, 1], first_a.actions[:, 0])
    assert torch.equal(first_b.valid[:, 1], first_a.valid[:, 0])
    torch.testing.assert_close(first_b.logprobs[:, 1], first_a.logprobs[:, 0], rtol=1e-5, atol=1e-6)
    assert first_b.episode_returns[1] == first_a.episode_returns[0]
    assert not torch.equal(first_b.obs[:, 0], first_a.obs[:, 0])  # the other seeds really are other runs
    assert_rows_match(batched.histories[1].rows[0], alone.history.rows[0], PPO_STATS)
    assert batched.histories[1].rows[0]["train_return"] == alone.history.rows[0]["train_return"]


def test_seed_index_1_of_a_batched_gail_run_is_a_run_of_its_seed_alone(recorded):
    demos = load_demonstrations("cartpole")
    # with a gradient penalty, so that its random interpolation weights are per seed too
    batched = train_gail(demos, GAILConfig(ppo=BATCHED, grad_penalty=1.0), progress=False)
    alone = train_gail(demos, GAILConfig(ppo=ALONE, grad_penalty=1.0), progress=False)
    run_b, run_a = recorded
    assert torch.equal(run_b["rollouts"][0].actions[:, 1], run_a["rollouts"][0].actions[:, 0])
    initial_b = Discriminator(4, CARTPOLE, GAILConfig().disc_hidden_size, BATCHED.seeds).single(1)
    initial_a = Discriminator(4, CARTPOLE, GAILConfig().disc_hidden_size, ALONE.seeds)
    for name, weights in initial_a.state_dict().items():
        assert torch.equal(initial_b.state_dict()[name], weights), name
    assert_rows_match(batched.histories[1].rows[0], alone.history.rows[0],
                      ("d_expert", "d_policy", "disc_loss", *PPO_STATS))
    assert batched.discriminator.seeds == [5, 6, 7] and alone.discriminator.seeds == [6]


def test_seed_index_1_of_batched_behaviour_cloning_is_cloning_with_its_seed_alone():
    demos = load_demonstrations("cartpole").take(2)
    batched = train_bc(demos, BCConfig(seed=5, num_seeds=3, epochs=2))
    alone = train_bc(demos, BCConfig(seed=6, epochs=2))
    assert batched.seeds == [5, 6, 7]
    assert_rows_match(batched.histories[1].rows[0], alone.history.rows[0], ("loss", "accuracy"))
    assert batched.histories[0].rows[0]["loss"] != alone.history.rows[0]["loss"]


def test_each_seeds_evaluation_is_the_evaluation_of_that_seed_alone():
    policy = ActorCritic(4, CARTPOLE, 16, seeds=[3, 4, 5])
    with torch.no_grad():
        policy.actor[4].weight.mul_(100.0)  # decisive actions: no near-ties for float rounding to flip
    batches = run_episodes_per_seed(policy, "CartPole-v1", 3, seed_offset=100)
    assert len(batches) == 3
    for i, seed in enumerate(policy.seeds):
        alone = run_episodes(policy.seed_policy(i), "CartPole-v1", 3, seed=seed + 100)
        np.testing.assert_array_equal(batches[i].returns, alone.returns)
        np.testing.assert_array_equal(np.concatenate(batches[i].observations), np.concatenate(alone.observations))


# ---- nothing one seed does reaches another ---------------------------------------------------------


def step_groups_and_alone(env_id: str, actions: np.ndarray, seeds: list[int]) -> tuple[list, list]:
    """Every step's outputs of EnvGroups, and of one vector env per group stepped with that group's actions."""
    groups = EnvGroups(env_id, actions.shape[2], seeds)
    alone = [make_vector_env(env_id, actions.shape[2], s) for s in seeds]
    together = [groups.reset()]
    apart = [np.stack([envs.reset(seed=s)[0] for envs, s in zip(alone, seeds, strict=True)])]
    for a in actions:
        together.append(groups.step(a))
        steps = [envs.step(a[g]) for g, envs in enumerate(alone)]
        apart.append(tuple(np.stack([s[k] for s in steps]) for k in range(4)))
    return together, apart


@pytest.mark.parametrize("env_id", ["CartPole-v1", "CartPoleWideStart-v0", "CartPoleFixedHorizon-v0", "Pendulum-v1"])
def test_env_groups_step_each_group_as_its_own_vector_env_would(env_id):
    """One vector env for all seeds (CartPole's native one, or SyncVectorEnv) changes no number: each
    group's starts, autoresets and physics are those of a vector env of its own, bit for bit."""
    _, spec = env_signature(env_id)
    steps = {"CartPoleFixedHorizon-v0": 520, "Pendulum-v1": 410}.get(env_id, 150)  # past a time limit or two
    rng = np.random.default_rng(0)
    shape = (steps, 3, 4) if spec.discrete else (steps, 3, 4, 1)
    actions = rng.integers(0, 2, shape) if spec.discrete else rng.uniform(-2, 2, shape).astype(np.float32)
    together, apart = step_groups_and_alone(env_id, actions, [7, 100, 7_000])
    assert np.array_equal(together[0], apart[0])
    for t, (a, b) in enumerate(zip(together[1:], apart[1:], strict=True)):
        for name, x, y in zip(("obs", "reward", "terminated", "truncated"), a, b, strict=True):
            assert np.array_equal(x, y), (env_id, t, name)
    ended = np.stack([a[2] | a[3] for a in together[1:]])
    assert ended.sum() >= 12  # the run crossed autoresets, in every group
    assert ended.any(axis=(0, 2)).all()
    # and group 0's actions reach nothing of groups 1 and 2: same outputs with group 0 pushing the other way
    flipped = actions.copy()
    flipped[:, 0] = (1 - actions[:, 0]) if spec.discrete else -actions[:, 0]
    again, _ = step_groups_and_alone(env_id, flipped, [7, 100, 7_000])
    assert not np.array_equal(again[1][0][0], together[1][0][0])
    for a, b in zip(again[1:], together[1:], strict=True):
        assert all(np.array_equal(x[1:], y[1:]) for x, y in zip(a, b, strict=True))


def ppo_batch(seeds: int, size: int, policy: ActorCritic) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    obs = torch.randn(seeds, size, 4, generator=g)
    actions = torch.randint(0, 2, (seeds, size), generator=g)
    with torch.no_grad():
        logprobs = policy.distribution(obs).log_prob(actions)
    return {
        "obs": obs, "actions": actions, "logprobs": logprobs,
        "advantages": torch.randn(seeds, size, generator=g), "value_targets": torch.randn(seeds, size, generator=g),
        "valid": torch.rand(seeds, size, generator=g) > 0.1,
    }


def test_perturbing_one_seeds_ppo_data_changes_no_other_seed():
    config = PPOConfig(update_epochs=3, num_minibatches=4, max_grad_norm=0.5)
    policy = ActorCritic(4, CARTPOLE, 16, seeds=[0, 1, 2])
    twin = copy.deepcopy(policy)
    batch = ppo_batch(3, 128, policy)
    perturbed = {k: v.clone() for k, v in batch.items()}
    perturbed["advantages"][0] *= 1_000.0  # wildly different, still finite
    perturbed["value_targets"][0] += 500.0
    perturbed["obs"][0] *= 3.0
    perturbed["valid"][0, :64] = False
    stats = {}
    for p, b, key in ((policy, batch, "plain"), (twin, perturbed, "perturbed")):
        optimizer = torch.optim.Adam(p.parameters(), lr=2.5e-3, eps=1e-5, fused=True)
        stats[key] = ppo_update(p, optimizer, b, config, generators(p.seeds, "minibatches"))
    for (name, a), b in zip(policy.named_parameters(), twin.parameters(), strict=True):
        assert torch.equal(a[1:], b[1:]), name  # seeds 1 and 2: bit for bit the same
    assert any(not torch.allclose(a[0], b[0]) for a, b in zip(policy.parameters(), twin.parameters(), strict=True))
    for key in stats["plain"]:
        assert torch.equal(stats["plain"][key][1:], stats["perturbed"][key][1:]), key
        assert stats["plain"][key].shape == (3,)


def test_perturbing_one_seeds_discriminator_data_changes_no_other_seed():
    disc = Discriminator(4, CARTPOLE, 16, seeds=[0, 1, 2])
    twin = copy.deepcopy(disc)
    g = torch.Generator().manual_seed(0)
    expert_obs, expert_actions = torch.randn(300, 4, generator=g), torch.randint(0, 2, (300,), generator=g)
    obs, actions = torch.randn(3, 200, 4, generator=g), torch.randint(0, 2, (3, 200), generator=g)
    valid = torch.rand(3, 200, generator=g) > 0.1
    perturbed_obs, perturbed_valid = obs.clone(), valid.clone()
    perturbed_obs[0] = perturbed_obs[0] * 10.0 + 5.0
    perturbed_valid[0, ::2] = False
    measured = []
    for d, o, v in ((disc, obs, valid), (twin, perturbed_obs, perturbed_valid)):
        trainer = DiscriminatorTrainer(d, {"obs": expert_obs, "actions": expert_actions}, 1e-3, 64, grad_penalty=10.0)
        trainer.update({"obs": o, "actions": actions}, v, passes=2)
        measured.append(trainer.measure({"obs": o, "actions": actions}, v)[0])
    for (name, a), b in zip(disc.named_parameters(), twin.parameters(), strict=True):
        assert torch.equal(a[1:], b[1:]), name
    assert any(not torch.allclose(a[0], b[0]) for a, b in zip(disc.parameters(), twin.parameters(), strict=True))
    for key in measured[0]:
        assert torch.equal(measured[0][key][1:], measured[1][key][1:]), key


# ---- the seed-axis helpers against hand computations ---------------------------------------------------


def test_gradients_are_clipped_per_seed():
    big = nn.Parameter(torch.zeros(2, 3, 4))
    small = nn.Parameter(torch.zeros(2, 1, 4))
    unused = nn.Parameter(torch.zeros(2, 5))  # no gradient: left out of the norms
    big.grad = torch.zeros(2, 3, 4)
    small.grad = torch.zeros(2, 1, 4)
    big.grad[0] = 0.5  # 12 * 0.25 = 3
    small.grad[0] = 1.5**0.5  # 4 * 1.5 = 6: seed 0's norm is sqrt(9) = 3
    big.grad[1, 0, 0], small.grad[1, 0, 3] = 0.3, -0.4  # seed 1's norm is 0.5
    before = [big.grad.clone(), small.grad.clone()]
    norms = clip_grad_norm_per_seed([big, small, unused], max_norm=1.0)
    torch.testing.assert_close(norms, torch.tensor([3.0, 0.5]))
    scale = 1.0 / (3.0 + 1e-6)
    torch.testing.assert_close(big.grad[0], before[0][0] * scale)
    torch.testing.assert_close(small.grad[0], before[1][0] * scale)
    total = (big.grad[0].pow(2).sum() + small.grad[0].pow(2).sum()).sqrt()
    assert total.item() == pytest.approx(1.0, rel=1e-5)
    assert torch.equal(big.grad[1], before[0][1]) and torch.equal(small.grad[1], before[1][1])  # under: untouched
    assert unused.grad is None


def test_clipping_per_seed_is_torchs_clipping_of_each_seed_alone():
    g = torch.Generator().manual_seed(0)
    params = [nn.Parameter(torch.zeros(3, 4, 5)), nn.Parameter(torch.zeros(3, 1, 5))]
    for p, scale in zip(params, (1.0, 2.0), strict=True):
        p.grad = torch.randn(p.shape, generator=g) * scale * torch.tensor([0.01, 1.0, 10.0]).view(3, 1, 1)
    alone = [[nn.Parameter(p[s].detach().clone()) for p in params] for s in range(3)]
    for s, ps in enumerate(alone):
        for q, p in zip(ps, params, strict=True):
            q.grad = p.grad[s].clone()
    norms = clip_grad_norm_per_seed(params, max_norm=0.5)
    for s, ps in enumerate(alone):
        norm = nn.utils.clip_grad_norm_(ps, max_norm=0.5)
        assert norms[s].item() == pytest.approx(norm.item(), rel=1e-6)
        for q, p in zip(ps, params, strict=True):
            torch.testing.assert_close(p.grad[s], q.grad)


def test_masked_mean_and_normalise_use_only_each_seeds_valid_entries():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 8, generator=g) * torch.tensor([[1.0], [10.0], [0.1]]) + torch.tensor([[0.0], [5.0], [-2.0]])
    mask = torch.tensor([[True] * 8, [True, False, True, True, False, True, True, True],
                         [False, True, True, False, False, False, True, False]])
    means = masked_mean(mask)(x)
    normalised = normalise(x, mask)
    for s in range(3):
        kept = x[s][mask[s]]
        assert means[s].item() == pytest.approx(kept.mean().item(), rel=1e-5)
        expected = (kept - kept.mean()) / (kept.std() + 1e-8)  # torch.std: n - 1
        torch.testing.assert_close(normalised[s][mask[s]], expected, rtol=1e-5, atol=1e-6)
    # the invalid entries can be anything: the valid ones' results do not move
    wild = torch.where(mask, x, torch.full_like(x, 1e6))
    torch.testing.assert_close(masked_mean(mask)(wild), means)
    torch.testing.assert_close(normalise(wild, mask)[mask], normalised[mask])
    nothing = torch.zeros(1, 4, dtype=torch.bool)
    assert masked_mean(nothing)(torch.ones(1, 4)).tolist() == [0.0]  # no valid entry: 0, not NaN


def test_minibatch_indices_shuffle_each_seed_apart_and_reproducibly():
    seeds = [0, 1, 2]
    batches = list(minibatch_indices(10, 3, generators(seeds, "minibatches")))
    assert len(batches) == 3 and all(b.shape == (3, 3) for b in batches)  # 10 // 3 minibatches of 3
    per_seed = torch.cat(batches, dim=1)
    for s, g in enumerate(generators(seeds, "minibatches")):
        order = per_seed[s].tolist()
        assert len(set(order)) == 9 and set(order) <= set(range(10))  # no repeats within a pass
        assert order == torch.randperm(10, generator=g)[:9].tolist()  # the first 9 of the seed's own shuffle
    assert not torch.equal(per_seed[0], per_seed[1]) and not torch.equal(per_seed[1], per_seed[2])
    again = torch.cat(list(minibatch_indices(10, 3, generators(seeds, "minibatches"))), dim=1)
    assert torch.equal(again, per_seed)
    whole = list(minibatch_indices(5, 64, generators([7], "minibatches")))  # a minibatch larger than the data
    assert len(whole) == 1 and sorted(whole[0][0].tolist()) == [0, 1, 2, 3, 4]


def test_gather_takes_each_seeds_own_positions():
    x = torch.arange(2 * 5 * 3).reshape(2, 5, 3)
    index = torch.tensor([[4, 0], [1, 1]])
    out = gather(x, index)
    assert out.shape == (2, 2, 3)
    for s in range(2):
        for j in range(2):
            assert torch.equal(out[s, j], x[s, index[s, j]])


def test_every_seed_and_stream_gets_its_own_random_seed():
    values = {(seed, stream): stream_seed(seed, stream) for seed in range(20) for stream in STREAMS}
    assert len(set(values.values())) == len(values)
    assert all(0 <= v < 2**32 for v in values.values())
    assert stream_seed(3, "env") == stream_seed(3, "env")
    a, b = generators([3, 4], "actions")
    assert torch.equal(torch.rand(5, generator=a), torch.rand(5, generator=generators([3], "actions")[0]))
    assert not torch.equal(torch.rand(5, generator=a), torch.rand(5, generator=b))


def test_an_unknown_random_stream_is_refused_with_the_streams_named():
    allowed = r"\['policy_init', 'actions', 'minibatches', 'disc_init', 'disc_batches', 'env', 'reward_init', "
    allowed += r"'potential_init'\]"
    with pytest.raises(ValueError, match=rf"unknown random stream 'bogus': streams are {allowed}"):
        stream_seed(0, "bogus")


# ---- one seed out of many ---------------------------------------------------------------------------------


def test_the_history_of_a_many_seed_result_points_to_histories():
    many = TrainingResult(policy=None, histories=[History(), History()], seeds=[3, 4])
    with pytest.raises(ValueError, match=r"2 seeds \[3, 4\]: use result\.histories\[i\]"):
        _ = many.history
    one = TrainingResult(policy=None, histories=[History([{"iteration": 0}])], seeds=[3])
    assert one.history is one.histories[0]


@pytest.mark.parametrize("spec", [CARTPOLE, PENDULUM], ids=["discrete", "continuous"])
def test_seed_policy_acts_as_its_seed_in_the_batch(spec):
    obs_dim = 4 if spec.discrete else 3
    policy = ActorCritic(obs_dim, spec, 16, seeds=[3, 4, 5])
    with torch.no_grad():
        policy.actor[4].weight.mul_(100.0)  # decisive greedy actions: no near-ties for float rounding to flip
        if not spec.discrete:
            policy.log_std.copy_(torch.tensor([-1.0, 0.0, 0.5]).view(3, 1, 1))
    obs = torch.randn(64, obs_dim, generator=torch.Generator().manual_seed(0))
    greedy, _, values = policy.act(obs.expand(3, 64, obs_dim))
    for i in range(3):
        one = policy.seed_policy(i)
        assert one.seeds == [policy.seeds[i]] and not one.training
        for name, weights in take_seed(policy, i).items():
            assert torch.equal(one.state_dict()[name], weights), name
        action, _, value = one.act(obs.unsqueeze(0))
        if spec.discrete:
            assert torch.equal(action[0], greedy[i])
            np.testing.assert_array_equal(one.predict(obs.numpy()), greedy[i].numpy())
        else:
            torch.testing.assert_close(action[0], greedy[i])
        torch.testing.assert_close(value[0], values[i])
    with pytest.raises(IndexError, match=r"seed index 3: allowed 0\.\.2"):
        policy.seed_policy(3)
    with pytest.raises(ValueError, match=r"seed_policy\(i\)"):
        policy.predict(obs.numpy())


def test_discriminator_single_gives_its_seeds_logits():
    disc = Discriminator(4, CARTPOLE, 16, seeds=[3, 4, 5])
    g = torch.Generator().manual_seed(0)
    obs, actions = torch.randn(32, 4, generator=g), torch.randint(0, 2, (32,), generator=g)
    logits = disc(obs, actions)
    for i in range(3):
        one = disc.single(i)
        assert one.seeds == [disc.seeds[i]]
        torch.testing.assert_close(one(obs, actions)[0], logits[i])
    with pytest.raises(IndexError, match=r"seed index -1: allowed 0\.\.2"):
        disc.single(-1)


# ---- a kernel interrupt keeps every seed's finished rows ---------------------------------------------------


def test_a_kernel_interrupt_during_a_rollout_returns_the_finished_iterations_of_every_seed(monkeypatch):
    calls = {"n": 0}
    collect = rollout.RolloutCollector.collect

    def interrupt_on_third(self, num_steps):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return collect(self, num_steps)

    monkeypatch.setattr(rollout.RolloutCollector, "collect", interrupt_on_third)
    config = PPOConfig(total_steps=2_048, num_envs=4, num_steps=64, eval_every=0, seed=2, num_seeds=2)
    try:
        result = train_ppo(config, progress=False)
    except KeyboardInterrupt:  # would otherwise end the whole pytest session
        pytest.fail("the kernel interrupt escaped train_ppo")
    assert result.stop_reason == "interrupted" and not result.completed
    assert [[r["iteration"] for r in h.rows] for h in result.histories] == [[0, 1], [0, 1]]
    assert result.histories[1].rows[-1]["env_steps"] == 2 * config.batch_size
    fresh = ActorCritic(4, CARTPOLE, config.hidden_size, config.seeds)
    for a, b in zip(result.policy.parameters(), fresh.parameters(), strict=True):
        assert a.shape[0] == 2 and not torch.equal(a, b)  # both seeds trained for two iterations
    assert result.timings["training"] > 0


def test_a_kernel_interrupt_during_behaviour_cloning_returns_the_finished_epochs(monkeypatch):
    calls = {"n": 0}

    def interrupt_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the start of epoch 2
            raise KeyboardInterrupt
        return minibatch_indices(*args, **kwargs)

    monkeypatch.setattr(bc, "minibatch_indices", interrupt_on_third)
    demos = load_demonstrations("cartpole").take(2)
    try:
        result = train_bc(demos, BCConfig(epochs=10, seed=4, num_seeds=2))
    except KeyboardInterrupt:  # would otherwise end the whole pytest session
        pytest.fail("the kernel interrupt escaped train_bc")
    assert result.stop_reason == "interrupted"
    assert [[r["epoch"] for r in h.rows] for h in result.histories] == [[0, 1], [0, 1]]
    fresh = ActorCritic(4, CARTPOLE, BCConfig().hidden_size, [4, 5])
    assert not torch.equal(result.policy.actor[0].weight, fresh.actor[0].weight)
