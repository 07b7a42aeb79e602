"""Tests for the shipped data files and for reading and writing demonstrations and policies.

Every refused file must raise the package's own error naming the file and the problem, and
nothing is ever unpickled (``allow_pickle=False`` / ``weights_only=True``).
"""

from __future__ import annotations

import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from gail_helpers.demonstrations import FORMAT_VERSION, Demonstrations
from gail_helpers.errors import DataFileError, DemonstrationError
from gail_helpers.evaluation import run_episodes
from gail_helpers.experts import DEMO_FILES, EXPERT_POLICY, load_demonstrations, load_expert
from gail_helpers.policies import ActionSpec, ActorCritic, load_policy, save_policy

CARTPOLE = "CartPole-v1"


class Payload:
    """An arbitrary class: loading a pickle of it would run code from the file."""

    loaded = False

    def __reduce__(self):
        return (_mark_loaded, ())


def _mark_loaded() -> Payload:
    Payload.loaded = True
    return Payload()


def small_demos(env_id: str = CARTPOLE) -> Demonstrations:
    """Two episodes (3 + 2 steps) of made-up CartPole pairs."""
    rng = np.random.default_rng(0)
    return Demonstrations(
        obs=rng.normal(size=(5, 4)).astype(np.float32),
        actions=np.array([0, 1, 1, 0, 1], dtype=np.int64),
        episode_lengths=np.array([3, 2], dtype=np.int64),
        episode_returns=np.array([3.0, 2.0], dtype=np.float32),
        env_id=env_id,
        final_obs=rng.normal(size=(2, 4)).astype(np.float32),
        terminated=np.array([False, True]),
    )


def write_npz(path: Path, **overrides) -> Path:
    """A demonstrations file with some arrays replaced (``None`` drops the key)."""
    d = small_demos()
    arrays = {
        "obs": d.obs, "actions": d.actions, "episode_lengths": d.episode_lengths,
        "episode_returns": d.episode_returns, "env_id": np.array(d.env_id),
        "format_version": np.array(FORMAT_VERSION), "final_obs": d.final_obs, "terminated": d.terminated,
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


# ---- the shipped demonstrations -----------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, Demonstrations]:
    return {name: load_demonstrations(name) for name in ("cartpole", "cartpole_styled")}


@pytest.mark.parametrize("name", ["cartpole", "cartpole_styled"])
def test_shipped_demonstrations_are_20_full_cartpole_episodes(shipped, name):
    demos = shipped[name]
    assert demos.env_id == CARTPOLE
    demos.check_env(CARTPOLE)
    assert demos.n_episodes == 20
    assert demos.mean_return == 500.0
    assert (demos.episode_lengths == 500).all()
    assert demos.obs.shape == (20 * 500, 4) and demos.obs.dtype == np.float32
    assert demos.actions.shape == (20 * 500,) and demos.actions.dtype == np.int64
    assert set(np.unique(demos.actions)) == {0, 1}


def test_styled_demonstrations_hold_the_cart_right_and_the_expert_near_the_centre(shipped):
    styled_x = shipped["cartpole_styled"].obs[:, 0].mean()
    expert_x = shipped["cartpole"].obs[:, 0].mean()
    assert styled_x > 0.5
    assert abs(expert_x) < 0.5
    # the styled controller aims at x = +1 and does not leave the track (|x| < 2.4)
    assert np.abs(shipped["cartpole_styled"].obs[:, 0]).max() < 2.4


def test_load_demonstrations_unknown_name_lists_the_valid_names():
    message = (r"no demonstrations named 'nope': choose one of "
               r"\['acrobot', 'cartpole', 'cartpole_styled', 'mountaincar', 'pendulum'\]")
    with pytest.raises(ValueError, match=message):
        load_demonstrations("nope")
    assert sorted(DEMO_FILES) == ["acrobot", "cartpole", "cartpole_styled", "mountaincar", "pendulum"]


# ---- save / load / take -------------------------------------------------------------------


def test_save_load_round_trip_preserves_every_array_exactly(tmp_path):
    demos = small_demos()
    demos.save(tmp_path / "demos.npz")
    back = Demonstrations.load(tmp_path / "demos.npz")
    assert back.env_id == CARTPOLE
    for name in ("obs", "actions", "episode_lengths", "episode_returns"):
        original, loaded = getattr(demos, name), getattr(back, name)
        assert loaded.dtype == original.dtype, name
        np.testing.assert_array_equal(loaded, original)


def test_round_trip_of_continuous_actions(tmp_path):
    demos = Demonstrations(
        obs=np.arange(6, dtype=np.float32).reshape(2, 3),
        actions=np.array([[0.5], [-1.25]], dtype=np.float32),
        episode_lengths=np.array([2]),
        episode_returns=np.array([-3.5], dtype=np.float32),
        env_id="Pendulum-v1",
    )
    demos.save(tmp_path / "pendulum.npz")
    back = Demonstrations.load(tmp_path / "pendulum.npz")
    np.testing.assert_array_equal(back.actions, demos.actions)
    back.check_env("Pendulum-v1")


def test_take_keeps_the_first_whole_episodes():
    demos = small_demos()
    first = demos.take(1)
    assert first.n_episodes == 1
    np.testing.assert_array_equal(first.obs, demos.obs[:3])
    np.testing.assert_array_equal(first.actions, demos.actions[:3])
    assert first.mean_return == 3.0
    assert demos.take(2).obs.shape == (5, 4)


@pytest.mark.parametrize("n", [0, 3, -1])
def test_take_outside_1_to_n_episodes_is_refused(n):
    with pytest.raises(DemonstrationError, match=rf"n_episodes = {n}: allowed 1\.\.2"):
        small_demos().take(n)


def test_tensors_share_the_arrays():
    obs, actions = small_demos().tensors()
    assert obs.dtype == torch.float32 and obs.shape == (5, 4)
    assert actions.dtype == torch.int64 and actions.tolist() == [0, 1, 1, 0, 1]


# ---- bad demonstration files --------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match=r"demonstrations file .*missing\.npz does not exist"):
        Demonstrations.load(tmp_path / "missing.npz")


def test_random_bytes_are_not_an_npz(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(1).bytes(2000))
    with pytest.raises(DataFileError, match=r"noise\.npz is not a \.npz \(zip\) archive"):
        Demonstrations.load(path)


def test_truncated_npz_is_refused(tmp_path):
    path = tmp_path / "demos.npz"
    small_demos().save(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFileError, match=r"demos\.npz is (not a \.npz \(zip\) archive|a damaged \.npz archive)"):
        Demonstrations.load(path)


def test_foreign_npz_lacking_the_keys_names_them(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.zeros(3), obs=np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(DataFileError, match=r"foreign\.npz is not a demonstrations file: it lacks "
                                            r"\['actions', 'episode_lengths', 'episode_returns', 'env_id', "
                                            r"'format_version'\]"):
        Demonstrations.load(path)


def test_object_array_is_refused_without_unpickling(tmp_path):
    path = write_npz(tmp_path / "pickled.npz", obs=np.array([Payload(), Payload()], dtype=object))
    # the file really holds a pickle: numpy would unpickle (and run) it if allowed
    with zipfile.ZipFile(path) as archive:
        assert b"_mark_loaded" in archive.read("obs.npy")
    Payload.loaded = False
    with pytest.raises(DataFileError, match=r"pickled\.npz holds pickled Python objects, which "
                                            r"are refused: only plain arrays load"):
        Demonstrations.load(path)
    assert not Payload.loaded


def test_wrong_format_version(tmp_path):
    path = write_npz(tmp_path / "future.npz", format_version=np.array(FORMAT_VERSION + 1))
    with pytest.raises(DataFileError, match=rf"future\.npz has format version {FORMAT_VERSION + 1}, "
                                            rf"this package reads \[1, {FORMAT_VERSION}\]"):
        Demonstrations.load(path)


def test_nan_in_observations_is_refused_on_load(tmp_path):
    obs = small_demos().obs.copy()
    obs[2, 1] = np.nan
    path = write_npz(tmp_path / "nan.npz", obs=obs)
    with pytest.raises(DemonstrationError, match=r"obs contains NaN or infinite values"):
        Demonstrations.load(path)


def test_infinite_return_is_refused():
    d = small_demos()
    with pytest.raises(DemonstrationError, match=r"episode_returns contains NaN or infinite values"):
        Demonstrations(d.obs, d.actions, d.episode_lengths, np.array([np.inf, 1.0], dtype=np.float32), d.env_id)


def test_empty_demonstrations_are_refused():
    with pytest.raises(DemonstrationError, match=r"demonstrations are empty: at least one episode of one step"):
        Demonstrations(
            obs=np.zeros((0, 4), dtype=np.float32), actions=np.zeros(0, dtype=np.int64),
            episode_lengths=np.zeros(0, dtype=np.int64), episode_returns=np.zeros(0, dtype=np.float32),
            env_id=CARTPOLE,
        )


@pytest.mark.parametrize("lengths", [[3, 3], [5, 0], [6, -1]])
def test_episode_lengths_must_be_positive_and_sum_to_the_pairs(lengths):
    d = small_demos()
    with pytest.raises(DemonstrationError, match=rf"episode_lengths must be positive and sum to the 5 pairs, "
                                                 rf"got sum {sum(lengths)}"):
        Demonstrations(d.obs, d.actions, np.array(lengths), d.episode_returns, d.env_id)


def test_one_return_per_episode():
    d = small_demos()
    with pytest.raises(DemonstrationError, match=r"episode_returns needs one value per episode \(2\)"):
        Demonstrations(d.obs, d.actions, d.episode_lengths, np.array([5.0], dtype=np.float32), d.env_id)


def test_obs_must_be_float32_matrix():
    d = small_demos()
    expected = r"obs must be a float32 array \[pairs, obs_dim\], got "
    with pytest.raises(DemonstrationError, match=expected + r"float64 \(5, 4\)"):
        Demonstrations(d.obs.astype(np.float64), d.actions, d.episode_lengths, d.episode_returns, d.env_id)
    with pytest.raises(DemonstrationError, match=expected + r"float32 \(20,\)"):
        Demonstrations(d.obs.ravel(), d.actions, d.episode_lengths, d.episode_returns, d.env_id)


def test_actions_must_be_int64_or_float32(tmp_path):
    path = write_npz(tmp_path / "int32.npz", actions=small_demos().actions.astype(np.int32))
    with pytest.raises(DemonstrationError, match=r"actions must be int64 \(discrete\) or float32 \(continuous\), "
                                                 r"got int32"):
        Demonstrations.load(path)


def test_action_shapes_must_match_the_pairs():
    d = small_demos()
    with pytest.raises(DemonstrationError, match=r"discrete actions must have shape \(5,\), got \(4,\)"):
        Demonstrations(d.obs, d.actions[:4], d.episode_lengths, d.episode_returns, d.env_id)
    with pytest.raises(DemonstrationError, match=r"continuous actions must have shape \(5, act_dim\), got \(5,\)"):
        Demonstrations(d.obs, d.actions.astype(np.float32), d.episode_lengths, d.episode_returns, d.env_id)


def test_check_env_against_pendulum_names_both_envs_and_shapes(shipped):
    with pytest.raises(DemonstrationError, match=r"do not match the environment") as info:
        shipped["cartpole"].check_env("Pendulum-v1")
    message = str(info.value)
    assert "recorded on 'CartPole-v1', not 'Pendulum-v1'" in message
    assert "observations have 4 values, Pendulum-v1 gives 3" in message
    assert "Pendulum-v1 has 1-D continuous actions" in message


def test_check_env_against_acrobot_names_the_observation_sizes(shipped):
    with pytest.raises(DemonstrationError, match=r"recorded on 'CartPole-v1', not 'Acrobot-v1'; "
                                                 r"observations have 4 values, Acrobot-v1 gives 6$"):
        shipped["cartpole"].check_env("Acrobot-v1")


def test_check_env_catches_actions_outside_the_space():
    d = small_demos()
    bad = Demonstrations(d.obs, np.array([0, 1, 2, 0, 1]), d.episode_lengths, d.episode_returns, d.env_id)
    with pytest.raises(DemonstrationError, match=r"actions range 0\.\.2, CartPole-v1 allows 0\.\.1$"):
        bad.check_env(CARTPOLE)


# ---- the shipped expert policy -------------------------------------------------------------


@pytest.fixture(scope="module")
def expert() -> ActorCritic:
    return load_expert()


def test_shipped_expert_scores_500_greedily(expert):
    assert isinstance(expert, ActorCritic)
    assert not expert.training
    batch = run_episodes(expert, CARTPOLE, episodes=5)
    np.testing.assert_array_equal(batch.returns, [500.0] * 5)


def test_shipped_expert_metadata():
    policy, meta = load_policy(EXPERT_POLICY)
    assert meta["env_id"] == CARTPOLE
    assert (meta["obs_dim"], meta["hidden_size"]) == (4, 64)
    assert meta["action_spec"]["discrete"] is True and meta["action_spec"]["n"] == 2
    assert policy.action_spec == ActionSpec(discrete=True, n=2)


def test_save_load_policy_round_trip(tmp_path):
    torch.manual_seed(3)
    policy = ActorCritic(3, ActionSpec(False, 1, (-2.0,), (2.0,)), hidden_size=8)
    save_policy(policy, tmp_path / "p.pt", note="hello")
    back, meta = load_policy(tmp_path / "p.pt")
    assert meta["note"] == "hello"
    assert back.action_spec == policy.action_spec
    for (name, a), (_, b) in zip(policy.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    obs = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(obs), policy.predict(obs))


def test_a_seed_batched_policy_saves_every_seed_and_loads_back_with_its_seeds(tmp_path):
    policy = ActorCritic(4, ActionSpec(True, 2), hidden_size=8, seeds=[7, 8, 9])
    save_policy(policy, tmp_path / "three.pt")
    back, meta = load_policy(tmp_path / "three.pt")
    assert meta["seeds"] == [7, 8, 9] and back.seeds == [7, 8, 9]
    for (name, a), (_, b) in zip(policy.state_dict().items(), back.state_dict().items(), strict=True):
        assert a.shape[0] == 3 and torch.equal(a, b), name
    obs = np.random.default_rng(0).normal(size=(4, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"holds 3 seeds \[7, 8, 9\]: take one with policy\.seed_policy\(i\)"):
        back.predict(obs)
    np.testing.assert_array_equal(back.seed_policy(2).predict(obs), policy.seed_policy(2).predict(obs))


def copy_expert_json(tmp_path: Path, name: str) -> Path:
    """``tmp_path/name`` next to a copy of the shipped expert's .json; returns the .pt path."""
    path = tmp_path / name
    shutil.copy(EXPERT_POLICY.with_suffix(".json"), path.with_suffix(".json"))
    return path


def test_missing_policy_files(tmp_path):
    with pytest.raises(DataFileError, match=r"policy file .*gone\.pt is missing: save_policy writes both "
                                            r"gone\.pt and gone\.json"):
        load_policy(tmp_path / "gone.pt")
    path = tmp_path / "weights.pt"
    shutil.copy(EXPERT_POLICY, path)
    with pytest.raises(DataFileError, match=r"policy file .*weights\.json is missing"):
        load_policy(path)


def test_corrupt_policy_file(tmp_path):
    path = copy_expert_json(tmp_path, "corrupt.pt")
    path.write_bytes(np.random.default_rng(2).bytes(4000))
    with pytest.raises(DataFileError, match=r"corrupt\.pt is not a plain-tensor state_dict, so it is refused"):
        load_policy(path)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_pickled_python_object_is_refused_without_running_it(tmp_path, writer):
    path = copy_expert_json(tmp_path, "evil.pt")
    payload = {"actor.0.weight": Payload()}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    Payload.loaded = False
    refused = r"evil\.pt is not a plain-tensor state_dict.*weights_only=True.*gail_helpers\.experts"
    with pytest.raises(DataFileError, match=refused):
        load_policy(path)
    assert not Payload.loaded


def test_tensor_instead_of_state_dict(tmp_path):
    path = copy_expert_json(tmp_path, "tensor.pt")
    torch.save(torch.zeros(3), path)
    with pytest.raises(DataFileError, match=r"tensor\.pt holds a Tensor, expected a state_dict"):
        load_policy(path)


def test_state_dict_of_the_wrong_shape_names_the_architecture(tmp_path):
    path = copy_expert_json(tmp_path, "small.pt")
    torch.save(ActorCritic(4, ActionSpec(True, 2), hidden_size=16).state_dict(), path)
    message = r"(?s)small\.pt does not fit the architecture in small\.json: .*size mismatch for actor\.0\.weight"
    with pytest.raises(DataFileError, match=message):
        load_policy(path)


def test_corrupt_policy_metadata(tmp_path):
    path = tmp_path / "p.pt"
    shutil.copy(EXPERT_POLICY, path)
    path.with_suffix(".json").write_text('{"obs_dim": 4}')
    with pytest.raises(DataFileError, match=r"p\.json is not policy metadata written by save_policy: KeyError"):
        load_policy(path)
    path.with_suffix(".json").write_text("not json")
    with pytest.raises(DataFileError, match=r"p\.json is not policy metadata written by save_policy: JSONDecodeError"):
        load_policy(path)


# ---- how episodes ended (format 2, for AIRL) ------------------------------------------------


def test_transitions_take_next_states_within_episodes_and_final_states_at_their_ends():
    d = small_demos()
    obs, actions, next_obs, terminated = d.transitions()
    # episode 1 is pairs 0-2, episode 2 pairs 3-4
    np.testing.assert_array_equal(next_obs[:2].numpy(), d.obs[1:3])
    np.testing.assert_array_equal(next_obs[2].numpy(), d.final_obs[0])
    np.testing.assert_array_equal(next_obs[3].numpy(), d.obs[4])
    np.testing.assert_array_equal(next_obs[4].numpy(), d.final_obs[1])
    assert terminated.tolist() == [False, False, False, False, True]  # only the last step of episode 2
    assert obs.shape == next_obs.shape and actions.tolist() == d.actions.tolist()


def test_a_format_1_file_still_loads_but_cannot_give_transitions(tmp_path):
    path = write_npz(tmp_path / "v1.npz", format_version=np.array(1), final_obs=None, terminated=None)
    d = Demonstrations.load(path)
    assert d.final_obs is None and d.n_episodes == 2
    with pytest.raises(DemonstrationError, match=r"do not say how their episodes ended .*record_demonstrations"):
        d.transitions()


def test_a_format_2_file_without_its_endings_is_refused(tmp_path):
    path = write_npz(tmp_path / "v2.npz", terminated=None)
    with pytest.raises(DataFileError, match=r"v2\.npz is a format-2 demonstrations file but lacks \['terminated'\]"):
        Demonstrations.load(path)


def test_endings_come_together_with_one_row_per_episode():
    d = small_demos()
    with pytest.raises(DemonstrationError, match="final_obs and terminated come together"):
        Demonstrations(d.obs, d.actions, d.episode_lengths, d.episode_returns, d.env_id, final_obs=d.final_obs)
    with pytest.raises(DemonstrationError, match=r"final_obs must be a finite float32 array \[episodes, obs_dim\] "
                                                 r"= \(2, 4\)"):
        Demonstrations(d.obs, d.actions, d.episode_lengths, d.episode_returns, d.env_id,
                       final_obs=d.final_obs[:1], terminated=d.terminated)
    with pytest.raises(DemonstrationError, match=r"terminated must be a bool array with one flag per episode"):
        Demonstrations(d.obs, d.actions, d.episode_lengths, d.episode_returns, d.env_id,
                       final_obs=d.final_obs, terminated=np.array([0, 1]))


def test_take_and_save_keep_how_episodes_ended(tmp_path):
    d = small_demos()
    first = d.take(1)
    np.testing.assert_array_equal(first.final_obs, d.final_obs[:1])
    d.save(tmp_path / "d.npz")
    back = Demonstrations.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.final_obs, d.final_obs)
    assert back.terminated.tolist() == [False, True]


def test_recorded_episodes_that_fall_are_terminated_and_end_out_of_bounds():
    from gail_helpers.demonstrations import record_demonstrations
    from gail_helpers.evaluation import random_controller

    d = record_demonstrations(random_controller(CARTPOLE, seed=3), CARTPOLE, episodes=4, seed=11)
    assert d.terminated.all()  # random pushes drop the pole long before 500 steps
    fell = (np.abs(d.final_obs[:, 2]) > 0.2095) | (np.abs(d.final_obs[:, 0]) > 2.4)
    assert fell.all()  # the final observation is the state past the limits, not the reset state
