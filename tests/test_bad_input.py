"""Bad input never loses work and never reaches a learner as a raw traceback (issue 14).

One test, or one parametrised group, per kind of wrong input: each must end in the package's own
error naming the argument, what it got and what is allowed, or in a correct result.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from gail_helpers.bc import train_bc
from gail_helpers.classroom import ClassroomDemo
from gail_helpers.config import GAILConfig, GridworldConfig, MaxEntIRLConfig, PPOConfig
from gail_helpers.demonstrations import Demonstrations, record_demonstrations
from gail_helpers.discriminator import Discriminator
from gail_helpers.display import show_source
from gail_helpers.envs import ActionSpec, env_signature, make_vector_env
from gail_helpers.errors import ConfigError, DataFileError, DemonstrationError, GridworldError, InputError
from gail_helpers.evaluation import episode_frames, random_controller, run_episodes, run_episodes_per_seed
from gail_helpers.experts import StyledCartPoleController, load_demonstrations, load_expert
from gail_helpers.gail import train_gail
from gail_helpers.gridworld import Gridworld, course_reward, make_course_gridworld, sample_trajectories
from gail_helpers.policies import ActorCritic, load_policy, save_policy
from gail_helpers.tabular import maxent_irl, pearson, soft_value_iteration, value_iteration
from gail_helpers.training import train_ppo
from gail_helpers.widgets import ConfigPanel, control_for

CARTPOLE = "CartPole-v1"
PENDULUM_SPEC = ActionSpec(False, 1, (-2.0,), (2.0,))
ONE_ITERATION = PPOConfig(total_steps=1_000, num_envs=8, num_steps=128, update_epochs=1, eval_every=0)


@pytest.fixture(scope="module")
def demos() -> Demonstrations:
    return load_demonstrations().take(1)


@pytest.fixture(scope="module")
def expert() -> ActorCritic:
    return load_expert()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- work is never lost: nothing overwrites a file the caller did not name, writes are atomic -------


def test_save_policy_refuses_a_json_name_and_writes_nothing(tmp_path, expert):
    with pytest.raises(DataFileError, match=r"save_policy writes a \.pt file: got '.*policy\.json', use a name"):
        save_policy(expert, tmp_path / "policy.json")
    assert files_in(tmp_path) == []


def test_save_policy_with_info_that_is_not_json_writes_neither_file(tmp_path, expert):
    with pytest.raises(InputError, match=r"save_policy's info must be JSON values .*object is not JSON"):
        save_policy(expert, tmp_path / "p.pt", note=object())
    assert files_in(tmp_path) == []
    save_policy(expert, tmp_path / "p.pt", steps=np.int64(7), returns=np.array([1.5, 2.0]))  # numpy is fine
    assert json.loads((tmp_path / "p.json").read_text())["steps"] == 7


def test_a_failed_policy_write_leaves_the_old_files_and_no_temporary_one(tmp_path, expert, monkeypatch):
    path = tmp_path / "p.pt"
    save_policy(expert, path, version=1)
    before = path.read_bytes(), path.with_suffix(".json").read_text()

    def broken_save(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_policy(expert, path, version=2)
    assert (path.read_bytes(), path.with_suffix(".json").read_text()) == before
    assert files_in(tmp_path) == ["p.json", "p.pt"]


def test_demonstrations_save_refuses_other_suffixes_instead_of_appending_npz(tmp_path, demos):
    with pytest.raises(DataFileError, match=r"Demonstrations\.save writes a \.npz file: got '.*x\.dat'"):
        demos.save(tmp_path / "x.dat")
    with pytest.raises(DataFileError, match=r"the folder .*missing does not exist"):
        demos.save(tmp_path / "missing" / "x.npz")
    assert files_in(tmp_path) == []


def test_a_failed_demonstrations_write_leaves_the_old_file(tmp_path, demos, monkeypatch):
    path = tmp_path / "d.npz"
    demos.save(path)
    before = path.read_bytes()

    def broken(f, **arrays):
        f.write(b"PK half")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        demos.take(1).save(path)
    assert path.read_bytes() == before and files_in(tmp_path) == ["d.npz"]


# ---- numpy numbers are accepted and stored as Python ones ---------------------------------


def test_configs_store_numpy_numbers_as_python_ones():
    config = PPOConfig(seed=np.arange(3)[2], num_envs=np.int32(4), learning_rate=np.float32(1e-3),
                       anneal_lr=np.bool_(False))
    assert (type(config.seed), type(config.num_envs), type(config.learning_rate), type(config.anneal_lr)) == (
        int, int, float, bool)
    assert config.seeds == [2] and json.loads(json.dumps(config.as_dict()))["seed"] == 2


def test_a_seed_from_np_arange_trains_and_saves(tmp_path):
    for seed in np.arange(1, 2):
        config = ONE_ITERATION.replace(seed=seed)
        result = train_ppo(config, progress=False)
        save_policy(result.policy, tmp_path / "p.pt", ppo_config=config.as_dict())
        assert load_policy(tmp_path / "p.pt")[1]["ppo_config"]["seed"] == 1


@pytest.mark.parametrize("value", [10**400, -(10**400)])
def test_an_int_too_large_for_a_float_is_a_config_error(value):
    with pytest.raises(ConfigError, match=r"^PPOConfig\.learning_rate must be a finite number, got 1000.*\.\.\. "):
        PPOConfig(learning_rate=value if value > 0 else -value)


def test_a_numpy_array_for_a_choice_field_is_refused_cleanly():
    with pytest.raises(ConfigError, match=r"GAILConfig\.reward_form = array\(.*is not allowed: choose one of"):
        GAILConfig(reward_form=np.array(["logit", "log D"]))


# ---- a config of the wrong class ----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "needed"),
    [
        (lambda d: train_ppo(GAILConfig()), "train_ppo needs a PPOConfig, got GAILConfig"),
        (lambda d: train_ppo({"total_steps": 1000}), "train_ppo needs a PPOConfig, got dict"),
        (lambda d: train_gail(d, PPOConfig()), "train_gail needs a GAILConfig, got PPOConfig"),
        (lambda d: train_bc(d, GAILConfig()), "train_bc needs a BCConfig, got GAILConfig"),
    ],
)
def test_a_trainer_names_the_config_class_it_needs(demos, call, needed):
    with pytest.raises(ConfigError, match=f"^{re.escape(needed)}$"):
        call(demos)


def test_tabular_solvers_name_the_config_and_world_they_need():
    world = make_course_gridworld(GridworldConfig(size=3))
    with pytest.raises(GridworldError, match="config must be a MaxEntIRLConfig, got PPOConfig"):
        maxent_irl(world, np.zeros((1, 30, 2), dtype=int), PPOConfig())
    with pytest.raises(GridworldError, match=r"world must be a Gridworld \(make_course_gridworld\(\) builds one\), "
                                             r"got 'world' \(str\)"):
        value_iteration("world")


# ---- a policy that does not fit the environment -------------------------------------------


def pendulum_policy() -> ActorCritic:
    return ActorCritic(3, PENDULUM_SPEC)


MISMATCH = r"policy does not fit CartPole-v1: it takes 3 observation values and gives 1-D continuous actions .*; " \
           r"CartPole-v1 has 4 and 2 discrete actions"


@pytest.mark.parametrize(
    "call",
    [
        lambda p: train_ppo(ONE_ITERATION, CARTPOLE, policy=p, progress=False),
        lambda p: run_episodes(p, CARTPOLE, 2),
        lambda p: run_episodes_per_seed(p, CARTPOLE, 2),
        lambda p: episode_frames(p, CARTPOLE),
        lambda p: record_demonstrations(p, CARTPOLE, 1, 0),
    ],
    ids=["train_ppo", "run_episodes", "run_episodes_per_seed", "episode_frames", "record_demonstrations"],
)
def test_a_policy_for_another_environment_is_refused_before_it_runs(call):
    with pytest.raises(InputError, match=MISMATCH):
        call(pendulum_policy())


def test_policies_and_controllers_of_the_wrong_kind_are_named(expert):
    with pytest.raises(InputError, match=r"holds 2 seeds \[0, 1\]: take one with policy\.seed_policy\(i\)"):
        run_episodes(ActorCritic(4, ActionSpec(True, 2), seeds=[0, 1]), CARTPOLE, 1)
    with pytest.raises(InputError, match=r"policy must be an ActorCritic or a controller .*got 'expert' \(str\)"):
        run_episodes("expert", CARTPOLE, 1)
    with pytest.raises(InputError, match=r"policy must be an ActorCritic \(None trains new ones\), got 'expert'"):
        train_ppo(ONE_ITERATION, policy="expert", progress=False)
    with pytest.raises(InputError, match=r"callback must be None or a function .*got 5 \(int\)"):
        train_ppo(ONE_ITERATION, callback=5, progress=False)


# ---- damaged files --------------------------------------------------------------------------


def damage_member_data(path: Path, member: str) -> None:
    """Overwrite the middle of ``member``'s compressed bytes in the zip at ``path``."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:][:2], "little"), int.from_bytes(
        data[info.header_offset + 28:][:2], "little")
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    data[middle:middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


def test_a_corrupt_deflate_stream_is_a_damaged_archive(tmp_path, demos):
    path = tmp_path / "d.npz"
    demos.save(path)
    damage_member_data(path, "obs.npy")
    with pytest.raises(DataFileError, match=r"d\.npz is a damaged \.npz archive") as info:
        Demonstrations.load(path)
    assert isinstance(info.value.__cause__, (zlib.error, zipfile.BadZipFile))


def test_a_damaged_npy_header_is_not_called_pickled(tmp_path, demos):
    good, path = tmp_path / "good.npz", tmp_path / "bad.npz"
    demos.save(good)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            out.writestr(name, data[:8] + b"garbage{{{" + data[18:] if name == "obs.npy" else data)
    with pytest.raises(DataFileError, match=r"bad\.npz is a damaged \.npz archive: an array's header is "
                                            r"unreadable") as info:
        Demonstrations.load(path)
    assert "pickled" not in str(info.value)


def test_a_folder_is_called_a_folder_not_missing(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(DataFileError, match=r"demonstrations file .*d\.npz is a folder, not a file"):
        Demonstrations.load(tmp_path / "d.npz")
    (tmp_path / "p.pt").mkdir()
    with pytest.raises(DataFileError, match=r"policy file .*p\.pt is a folder, not a file"):
        load_policy(tmp_path / "p.pt")


def write_demos_npz(path: Path, demos: Demonstrations, **overrides) -> Path:
    arrays = {"obs": demos.obs, "actions": demos.actions, "episode_lengths": demos.episode_lengths,
              "episode_returns": demos.episode_returns, "env_id": np.array(demos.env_id),
              "format_version": np.array(1), **overrides}
    np.savez(path, **arrays)
    return path


def test_a_format_version_that_is_not_a_number_says_so(tmp_path, demos):
    path = write_demos_npz(tmp_path / "v.npz", demos, format_version=np.array("1"))
    with pytest.raises(DataFileError, match=r"has format version array\('1', dtype='<U1'\), not a whole number, "
                                            r"this package reads \[1, 2\]$"):
        Demonstrations.load(path)


def test_an_env_id_of_several_names_is_refused(tmp_path, demos):
    path = write_demos_npz(tmp_path / "e.npz", demos, env_id=np.array(["CartPole-v1", "Acrobot-v1"]))
    with pytest.raises(DataFileError, match=r"has env_id array\(\['CartPole-v1', 'Acrobot-v1'\].*expected one "
                                            r"environment name"):
        Demonstrations.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(obs_dim=-1), r"obs_dim must be a whole number >= 1, got -1"),
        (lambda m: m.update(seeds=[]), r"seeds must hold at least one seed"),
        (lambda m: m["action_spec"].update(discrete="no"), r"ActionSpec\.discrete must be True or False, got 'no'"),
        (lambda m: m["action_spec"].update(n=0), r"ActionSpec\.n must be a whole number >= 1, got 0"),
    ],
)
def test_bad_values_in_policy_metadata_name_the_metadata_file(tmp_path, expert, change, message):
    path = tmp_path / "p.pt"
    save_policy(expert, path)
    meta = json.loads(path.with_suffix(".json").read_text())
    change(meta)
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(DataFileError, match=r"p\.json is not policy metadata written by save_policy: .*" + message):
        load_policy(path)


def test_a_huge_obs_dim_in_the_metadata_is_caught_before_anything_is_allocated(tmp_path, expert):
    path = tmp_path / "p.pt"
    save_policy(expert, path)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["obs_dim"] = 10**12
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(DataFileError, match=r"does not fit the architecture in p\.json: size mismatch for "
                                            r"actor\.0\.weight: the file has \(1, 4, 64\), the metadata asks for"):
        load_policy(path)


def test_load_policy_names_what_it_reads(tmp_path):
    with pytest.raises(DataFileError, match=r"load_policy reads a \.pt file written by save_policy .*got '.*x\.npz'"):
        load_policy(tmp_path / "x.npz")
    with pytest.raises(DataFileError, match=r"path must be a file name \(a str or a pathlib\.Path\), got 5 \(int\)"):
        load_policy(5)
    with pytest.raises(DataFileError, match=r"path must be a file name .*got None \(NoneType\)"):
        Demonstrations.load(None)


# ---- accepted silently before ----------------------------------------------------------------


def test_nan_weights_in_a_policy_file_are_refused(tmp_path, expert):
    path = tmp_path / "p.pt"
    save_policy(expert, path)
    state = expert.state_dict()
    state["critic.2.bias"] = torch.full_like(state["critic.2.bias"], float("nan"))
    torch.save(state, path)
    with pytest.raises(DataFileError, match=r"p\.pt has NaN, infinite or non-tensor weights in \['critic\.2\.bias'\]"):
        load_policy(path)


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        (50.0, r"values outside the action box \[-2\.0\]\.\.\[2\.0\]: clip them"),
        (np.nan, r"values that are not finite numbers"),
    ],
)
def test_continuous_actions_outside_the_box_or_nan_are_refused(action, problem):
    with pytest.raises(InputError, match=r"the controller's actions do not fit Pendulum-v1: it returned " + problem):
        run_episodes(lambda obs: np.full((len(obs), 1), action), "Pendulum-v1", episodes=2)
    inside = run_episodes(lambda obs: np.full((len(obs), 1), 2.0), "Pendulum-v1", episodes=2)
    assert np.isfinite(inside.returns).all()


@pytest.mark.parametrize(
    ("controller", "problem"),
    [
        (lambda obs: np.full(len(obs), 7), r"values \[7\], expected whole numbers in 0\.\.1"),
        (lambda obs: np.zeros(len(obs)), r"values \[0\.0\], expected whole numbers in 0\.\.1"),
        (lambda obs: np.zeros((len(obs), 2), dtype=int), r"shape \(3, 2\), expected \(3,\)"),
        (lambda obs: [[0], [1, 0], [1]], r"the controller's actions must be an array of one shape"),
    ],
)
def test_discrete_actions_the_env_would_refuse_name_the_problem(controller, problem):
    with pytest.raises(InputError, match=problem):
        run_episodes(controller, CARTPOLE, episodes=3)


def test_demonstrations_with_continuous_actions_outside_the_box_do_not_match():
    rng = np.random.default_rng(0)
    demos = Demonstrations(rng.normal(size=(4, 3)).astype(np.float32), np.array([[0.5], [3.0], [-1.0], [0.0]],
                           dtype=np.float32), np.array([4]), np.array([-10.0], dtype=np.float32), "Pendulum-v1")
    with pytest.raises(DemonstrationError, match=r"actions range \[-1\.0\]\.\.\[3\.0\], outside Pendulum-v1's "
                                                 r"action box 1-D continuous actions in \[-2\.0\]\.\.\[2\.0\]"):
        demos.check_env("Pendulum-v1")


def test_predict_refuses_nan_and_names_a_single_observation(expert):
    with pytest.raises(InputError, match=r"obs must be a finite array \[batch, 4\], got array\(\[\[nan"):
        expert.predict(np.full((1, 4), np.nan))
    with pytest.raises(InputError, match=r"\(one observation o: pass o\[None\]\)"):
        expert.predict(np.zeros(4))
    assert expert.predict([[0.0, 0.0, 0.01, 0.0]]).shape == (1,)  # a list of observations is fine


# ---- widgets -------------------------------------------------------------------------------------


def test_a_value_set_from_code_is_kept_not_clamped_and_shown_invalid():
    panel = ConfigPanel(PPOConfig, ["gamma", "update_epochs", "learning_rate"])
    for name, value in (("gamma", 5.0), ("update_epochs", 500), ("learning_rate", 5.0)):
        panel.controls[name].value = value
        assert panel.controls[name].value == value
        assert f"PPOConfig.{name} = {value} is out of range" in panel.status.value
        assert "✓ valid" not in panel.status.value
        with pytest.raises(ConfigError, match=rf"PPOConfig\.{name} = {value} is out of range"):
            panel.config()
        panel.controls[name].value = PPOConfig().as_dict()[name]
        assert "✓ valid" in panel.status.value


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("reward_form", "log(D)", r"reward_form = 'log\(D\)' is not allowed: choose one of \['-log\(1-D\)'"),
        ("reward_form", None, r"reward_form = None is not allowed"),
        ("freeze_discriminator", "yes", r"freeze_discriminator must be True or False, got 'yes'"),
        ("ppo.norm_adv", 1, r"ppo\.norm_adv must be True or False, got 1"),
        ("disc_updates", 2.5, r"disc_updates must be a whole number, got 2\.5"),
        ("ppo.total_steps", "20000", r"ppo\.total_steps must be a whole number, got '20000'"),
        ("grad_penalty", float("nan"), r"grad_penalty must be a finite number, got nan"),
    ],
)
def test_a_value_of_the_wrong_type_set_from_code_is_a_config_error(name, value, message):
    panel = ConfigPanel(GAILConfig, [name])
    before = panel.controls[name].value
    with pytest.raises(ConfigError, match=message):
        panel.controls[name].value = value
    assert panel.controls[name].value == before and "✓ valid" in panel.status.value


def test_values_from_the_page_still_arrive():
    panel = ConfigPanel(GAILConfig, ["reward_form", "disc_updates"])
    panel.controls["reward_form"].set_state({"index": 2})
    panel.controls["disc_updates"].set_state({"value": 7})
    config = panel.config()
    assert (config.reward_form, config.disc_updates) == ("logit", 7)


def test_panel_arguments_of_the_wrong_kind_are_config_errors():
    with pytest.raises(ConfigError, match=r"base must be a Config .*got 'PPOConfig' \(str\)"):
        ConfigPanel("PPOConfig")
    with pytest.raises(ConfigError, match=r"fields must be a list of field names .*got 'gamma' \(str\)"):
        ConfigPanel(PPOConfig, "gamma")
    with pytest.raises(ConfigError, match=r"title must be a str, got 3"):
        ConfigPanel(PPOConfig, title=3)
    (spec,) = [s for s in PPOConfig.specs() if s.name == "gamma"]
    with pytest.raises(ConfigError, match=r"gamma must be a number, got '0\.9'"):
        control_for(spec, "0.9")


# ---- natural wrong types: lists, paths, strings -------------------------------------------------


@pytest.mark.parametrize("call", [lambda p: train_bc(p), lambda p: train_gail(p, GAILConfig(ppo=ONE_ITERATION))],
                         ids=["train_bc", "train_gail"])
def test_a_path_instead_of_demonstrations_says_how_to_load_them(call):
    with pytest.raises(DemonstrationError, match=r"demos must be a Demonstrations \(read a file with "
                                                 r"Demonstrations\.load\(path\).*got 'demos\.npz' \(str\)"):
        call("demos.npz")


def test_lists_instead_of_arrays_in_demonstrations_name_the_field():
    with pytest.raises(DemonstrationError, match=r"obs must be a numpy array \(float32\), got \[\[0\.0.*\(list\): "
                                                 r"convert it with np\.asarray"):
        Demonstrations([[0.0] * 4], np.zeros(1, np.int64), np.ones(1, np.int64), np.ones(1, np.float32), CARTPOLE)
    with pytest.raises(DemonstrationError, match=r"env_id must be the name of a gymnasium environment \(a str\), "
                                                 r"got 5 \(int\)"):
        Demonstrations(np.zeros((1, 4), np.float32), np.zeros(1, np.int64), np.ones(1, np.int64),
                       np.ones(1, np.float32), 5)
    with pytest.raises(DemonstrationError, match=r"episode_lengths must be a 1-D array, one length per episode"):
        Demonstrations(np.zeros((1, 4), np.float32), np.zeros(1, np.int64), np.ones((1, 1), np.int64),
                       np.ones(1, np.float32), CARTPOLE)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e, d: run_episodes(e, CARTPOLE, 2.5),
         r"episodes must be a whole number in 1\.\.1000, got 2\.5 \(float\)"),
        (lambda e, d: run_episodes(e, CARTPOLE, 2, seed=-1), r"seed must be a whole number (>= 0|in 0\.\.\d+), got -1"),
        (lambda e, d: run_episodes(e, CARTPOLE, 2, deterministic="no"), r"deterministic must be True or False"),
        (lambda e, d: run_episodes(e, 5), r"env_id must be a gymnasium environment's name .*got 5 \(int\)"),
        (lambda e, d: run_episodes(e, "Nope-v0"), r"unknown environment 'Nope-v0'"),
        (lambda e, d: episode_frames(e, CARTPOLE, max_steps=0), r"max_steps must be a whole number >= 1, got 0"),
        (lambda e, d: random_controller(CARTPOLE, seed="a"), r"seed must be a whole number >= 0, got 'a'"),
        (lambda e, d: e.seed_policy(1.5), r"index must be a whole number, got 1\.5"),
        (lambda e, d: d.take(1.5), r"n_episodes must be a whole number, got 1\.5"),
        (lambda e, d: d.check_env(4), r"env_id must be a gymnasium environment's name"),
        (lambda e, d: make_vector_env(CARTPOLE, 2.5, 0), r"num_envs must be a whole number >= 1, got 2\.5"),
        (lambda e, d: env_signature(None), r"env_id must be a gymnasium environment's name .*None"),
        (lambda e, d: ActorCritic(4, "discrete"), r"action_spec must be an ActionSpec .*got 'discrete'"),
        (lambda e, d: ActorCritic(4, ActionSpec(True, 2), seeds=3), r"seeds must be a list of whole numbers"),
        (lambda e, d: load_demonstrations(3), r"no demonstrations named 3: choose one of"),
        (lambda e, d: StyledCartPoleController(gains=(1.0, 2.0)), r"gains must be 4 finite numbers"),
        (lambda e, d: train_ppo(ONE_ITERATION, progress="no"), r"progress must be True or False, got 'no'"),
        (lambda e, d: Discriminator(4, ActionSpec(True, 2)).single(0.5), r"index must be a whole number, got 0\.5"),
        (lambda e, d: show_source("train_ppo"), r"show_source needs a function, class or module .*'train_ppo'"),
        (lambda e, d: show_source(train_ppo, start=3), r"start must be None or a line's text \(a str\), got 3"),
        (lambda e, d: ClassroomDemo(demos="demos.npz"), r"demos must be a Demonstrations \(read a file with"),
        (lambda e, d: ClassroomDemo(demos=d, animate="yes"), r"animate must be True or False, got 'yes'"),
    ],
)
def test_arguments_of_the_wrong_type_or_value_are_input_errors(expert, demos, call, message):
    with pytest.raises((InputError, DemonstrationError), match=message):
        call(expert, demos)


# ---- tabular solvers: no raw numpy errors, no NaN outputs -------------------------------------


def test_tabular_inputs_that_are_not_numbers_name_the_argument():
    world = make_course_gridworld(GridworldConfig(size=3))
    with pytest.raises(GridworldError, match=r"reward must be an array of numbers, got 'abc' \(str\)"):
        Gridworld(GridworldConfig(size=3), "abc")
    with pytest.raises(GridworldError, match=r"policy must be an array of numbers"):
        sample_trajectories(world, [["a"] * 4] * 9, 1, 2, 0)
    with pytest.raises(GridworldError, match=r"trajectories must be an array of one shape"):
        maxent_irl(world, [[[0, 0]], [[0, 0], [1, 1]]], MaxEntIRLConfig(horizon=1))
    with pytest.raises(GridworldError, match=r"state must be a whole number, got 1\.5"):
        world.state_to_xy(1.5)
    with pytest.raises(GridworldError, match=r"seed must be a whole number (>= 0|in 0\.\.\d+), got -1"):
        sample_trajectories(world, np.full((9, 4), 0.25), 1, 2, -1)
    with pytest.raises(GridworldError, match=r"size must be a whole number in 3..20, got 0"):
        course_reward(0)
    with pytest.raises(GridworldError, match=r"tol must be a finite number, got 'a'"):
        value_iteration(world, tol="a")


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_tabular_solvers_refuse_to_return_nan():
    world = make_course_gridworld(GridworldConfig(size=3))
    with pytest.raises(GridworldError, match="pearson needs finite numbers"):
        pearson([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(GridworldError, match=r"soft values overflowed: .*scale the reward down"):
        soft_value_iteration(world, np.full(9, 1e307), horizon=50)
    huge = Gridworld(GridworldConfig(size=3, gamma=0.999), np.full(9, 1e306))
    with pytest.raises(GridworldError, match=r"values overflowed: .*scale the reward down"):
        value_iteration(huge)
    trajectories = np.zeros((2, 4, 2), dtype=int)
    with pytest.raises(GridworldError, match="true_reward is constant"):
        maxent_irl(world, trajectories, MaxEntIRLConfig(horizon=4, iterations=2), true_reward=np.ones(9))
