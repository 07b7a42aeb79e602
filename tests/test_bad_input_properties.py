"""Property-based tests (Hypothesis): wrong inputs to the public API end in the package's own error
or in a correct result; never in another exception type, never in a NaN.

Each test substitutes generated values, of any type, for one argument of a public function while
the others stay valid, or damages a valid file byte by byte.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gail_helpers.bc import train_bc
from gail_helpers.config import BCConfig, Config, GAILConfig, GridworldConfig, MaxEntIRLConfig, PPOConfig
from gail_helpers.demonstrations import Demonstrations
from gail_helpers.envs import ActionSpec, env_signature
from gail_helpers.errors import ConfigError, DataFileError, DemonstrationError, GridworldError, InputError
from gail_helpers.evaluation import EpisodeBatch, episode_frames, random_controller, run_episodes
from gail_helpers.experts import load_demonstrations, load_expert
from gail_helpers.gail import train_gail
from gail_helpers.gridworld import Gridworld, course_reward, make_course_gridworld, sample_trajectories
from gail_helpers.policies import ActorCritic, load_policy, save_policy
from gail_helpers.tabular import (
    expected_state_visitation,
    maxent_irl,
    pearson,
    soft_value_iteration,
    value_iteration,
)
from gail_helpers.training import TrainingResult, train_ppo
from gail_helpers.widgets import ConfigPanel

OWN_ERRORS = (ConfigError, DataFileError, DemonstrationError, GridworldError, InputError)
CARTPOLE = "CartPole-v1"
# modest example counts (the machine is shared); module-scoped fixtures are read-only here
# derandomize: CI runs the same examples every time; HYPOTHESIS_EXPLORE=1 draws new ones (to hunt for bugs)
FEW = settings(max_examples=40, deadline=None, database=None, derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TRAINING = settings(FEW, max_examples=25)

# Values a careless script or a new user might pass anywhere: every common type, numpy's scalars
# and arrays, NaN and infinities, huge and negative whole numbers.
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from([2**31, 2**63, 2**70, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.binary(max_size=4),
    st.lists(st.integers(-2, 5), max_size=4),
    st.sampled_from([
        np.int64(3), np.int32(-1), np.float32(0.5), np.float64(np.nan), np.bool_(True), np.array(2),
        np.array([1.0, np.nan]), np.zeros((2, 2)), np.array(["a"]), Fraction(1, 3), Decimal("0.1"),
        object(), Path("nowhere.npz"), {"a": 1}, (1, 2), 1 + 2j, "CartPole-v1", "Nope-v0",
    ]),
)


def finite(x: object) -> bool:
    """True when every number in ``x`` (an array, a tensor, nested results) is finite."""
    if isinstance(x, torch.Tensor):
        return bool(torch.isfinite(x).all())
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return bool(np.isfinite(x).all())
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, (list, tuple)):
        return all(finite(v) for v in x)
    if isinstance(x, dict):
        return all(finite(v) for v in x.values())
    if isinstance(x, EpisodeBatch):
        return finite(x.returns) and finite(x.observations)
    if isinstance(x, TrainingResult):  # train_return is NaN by design when no episode ended in a rollout
        rows = [{k: v for k, v in r.items() if k != "train_return"} for h in x.histories for r in h.rows]
        return finite(list(x.policy.state_dict().values())) and finite(rows)
    if hasattr(x, "__dataclass_fields__"):
        return all(finite(getattr(x, f)) for f in x.__dataclass_fields__)
    return True


def own_error_or_finite(call, *args, **kwargs) -> object:
    """Run ``call``: it must return a finite result or raise one of the package's errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow notes before a clear error
            result = call(*args, **kwargs)
    except OWN_ERRORS as exc:
        assert str(exc), "an error must say what was wrong"
        return exc
    assert finite(result), f"{getattr(call, '__name__', call)} returned NaN or infinity: {result!r}"
    return result


# ---- configs --------------------------------------------------------------------------------


CONFIGS = (PPOConfig, GAILConfig, BCConfig, GridworldConfig, MaxEntIRLConfig)
FIELDS = [(cls, spec) for cls in CONFIGS for spec in cls.specs()]


@FEW
@given(st.sampled_from(FIELDS), st.one_of(ANYTHING, st.integers(-(10**6), 10**7), st.floats(-10, 10)))
def test_a_config_field_holds_its_own_type_inside_its_range_or_raises_config_error(field, value):
    cls, spec = field
    try:
        config = cls(**{spec.name: value})
    except ConfigError as exc:
        assert f"{cls.__name__}.{spec.name}" in str(exc)
        return
    stored = getattr(config, spec.name)
    if spec.kind is float:
        assert type(stored) in (int, float) and math.isfinite(stored)
    else:
        assert type(stored) is spec.kind
    if spec.low is not None:
        assert spec.low <= stored <= spec.high
    if spec.choices is not None:
        assert stored in spec.choices
    assert json.loads(json.dumps(config.as_dict()))[spec.name] == stored  # saves like the defaults


@FEW
@given(st.sampled_from([PPOConfig, GAILConfig, BCConfig, GridworldConfig, MaxEntIRLConfig]),
       st.dictionaries(st.sampled_from(["seed", "gamma", "lr", "ppo", "epochs", "size", "reward_form"]), ANYTHING,
                       max_size=3))
def test_config_replace_with_anything_is_a_config_error_or_a_valid_config(cls, changes):
    result = own_error_or_finite(cls().replace, **changes)
    assert isinstance(result, (ConfigError, cls))


# ---- widgets ---------------------------------------------------------------------------------


PANEL_FIELDS = ["reward_form", "freeze_discriminator", "disc_learning_rate", "grad_penalty", "disc_updates",
                "ppo.total_steps", "ppo.gamma"]


@FEW
@given(st.sampled_from(PANEL_FIELDS), st.one_of(ANYTHING, st.floats(-10, 10), st.integers(-10, 3_000_000)))
def test_a_control_set_from_code_keeps_the_value_or_raises_and_the_status_tells_the_truth(name, value):
    panel = ConfigPanel(GAILConfig, PANEL_FIELDS)
    control = panel.controls[name]
    before = control.value
    try:
        control.value = value
    except ConfigError as exc:
        assert name in str(exc)
        assert control.value == before
        return
    # a number may become the control's float (1/3 as 0.333...), but never another value (no clamping)
    expected = float(value) if isinstance(control.value, float) and isinstance(value, numbers.Real) else value
    assert control.value == expected, "a value set from code must not be clamped or converted to another"
    try:
        panel.config()
        valid = True
    except ConfigError:
        valid = False
    assert ("✓ valid" in panel.status.value) == valid


@FEW
@given(base=st.one_of(ANYTHING, st.sampled_from([PPOConfig, GAILConfig(), BCConfig])),
       fields=st.one_of(st.none(), ANYTHING, st.lists(st.sampled_from(["seed", "gamma", 3, "ppo.seed"]), max_size=3)))
def test_config_panel_arguments(base, fields):
    own_error_or_finite(ConfigPanel, base, fields)


# ---- files: damaged bytes -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_file_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.npz"
        load_demonstrations().take(1).save(path)
        return path.read_bytes()


DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                                        min_size=1, max_size=4)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("smear"), st.floats(0, 1, exclude_max=True)),
)


def damaged(data: bytes, damage: tuple) -> bytes:
    kind, where = damage
    out = bytearray(data)
    if kind == "flip":
        for position, byte in where:
            out[int(position * len(out))] = byte
    elif kind == "cut":
        out = out[: int(where * len(out))]
    else:
        start = int(where * len(out))
        out[start:start + 40] = b"\x00" * len(out[start:start + 40])
    return bytes(out)


@FEW
@given(damage=DAMAGE)
def test_a_damaged_demonstrations_file_is_refused_or_loads_unchanged(demo_file_bytes, damage):
    original = load_demonstrations().take(1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.npz"
        path.write_bytes(damaged(demo_file_bytes, damage))
        result = own_error_or_finite(Demonstrations.load, path)
    if isinstance(result, Demonstrations):  # damage in bytes the reader skips: the data must be intact
        for name in ("obs", "actions", "episode_lengths", "episode_returns"):
            np.testing.assert_array_equal(getattr(result, name), getattr(original, name))
        assert result.env_id == original.env_id


@pytest.fixture(scope="module")
def policy_files() -> tuple[bytes, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.pt"
        save_policy(load_expert(), path)
        return path.read_bytes(), path.with_suffix(".json").read_text()


@FEW
@given(damage=DAMAGE, in_metadata=st.booleans())
def test_a_damaged_policy_file_is_refused_or_gives_a_finite_policy_that_acts(policy_files, damage, in_metadata):
    weights, meta = policy_files
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.pt"
        path.write_bytes(weights if in_metadata else damaged(weights, damage))
        meta_bytes = damaged(meta.encode(), damage) if in_metadata else meta.encode()
        path.with_suffix(".json").write_bytes(meta_bytes)
        result = own_error_or_finite(load_policy, path)
    if not isinstance(result, Exception):
        policy, _ = result
        obs_dim, spec = policy.obs_dim, policy.action_spec
        assert isinstance(spec, ActionSpec) and obs_dim >= 1
        actions = policy.predict(np.zeros((2, obs_dim), dtype=np.float32))
        assert len(actions) == 2


@FEW
@given(path=ANYTHING)
def test_loaders_given_anything_as_a_path(path):
    for load in (Demonstrations.load, load_policy):
        own_error_or_finite(load, path)


# ---- demonstrations built from wrong parts ------------------------------------------------------


ARRAYISH = st.one_of(
    ANYTHING,
    st.sampled_from([
        np.zeros((3, 4), np.float32), np.zeros((3, 4)), np.zeros(3, np.int64), np.zeros((3, 1), np.float32),
        np.array([1, 2]), np.array([3]), np.array([3.0], np.float32), np.full((3, 4), np.nan, np.float32),
        np.array([-1, 4]), np.array([0, 1, 5]), np.zeros((0, 4), np.float32), np.array(["a", "b", "c"]),
    ]),
)
VALID_PARTS = {
    "obs": np.zeros((3, 4), np.float32), "actions": np.array([0, 1, 0]), "episode_lengths": np.array([3]),
    "episode_returns": np.array([3.0], np.float32), "env_id": CARTPOLE,
}


@FEW
@given(st.sampled_from(sorted(VALID_PARTS)), ARRAYISH, st.sampled_from([CARTPOLE, "Pendulum-v1", "Acrobot-v1"]))
def test_demonstrations_with_one_wrong_part_are_refused_or_fit_the_env_check(part, value, env_id):
    result = own_error_or_finite(Demonstrations, **{**VALID_PARTS, part: value})
    if isinstance(result, Demonstrations):
        own_error_or_finite(result.check_env, env_id)
        own_error_or_finite(result.take, value)


# ---- trainers -----------------------------------------------------------------------------------


ONE_ITERATION = PPOConfig(total_steps=1_000, num_envs=8, num_steps=128, update_epochs=1, eval_every=0)


@pytest.fixture(scope="module")
def demos() -> Demonstrations:
    return load_demonstrations().take(1)


@TRAINING
@given(argument=st.sampled_from(["config", "env_id", "policy", "callback", "progress", "reward_model"]),
       value=ANYTHING)
def test_train_ppo_with_one_wrong_argument(argument, value):
    kwargs = {"config": ONE_ITERATION, "env_id": CARTPOLE, "progress": False, argument: value}
    own_error_or_finite(train_ppo, **kwargs)


@TRAINING
@given(argument=st.sampled_from(["demos", "config", "env_id", "same_env_id"]), value=ANYTHING)
def test_train_gail_with_one_wrong_argument(demos, argument, value):
    assume(not (argument == "config" and value is None))  # the default config: valid, and 60k steps long
    kwargs = {"demos": demos, "config": GAILConfig(disc_updates=1, ppo=ONE_ITERATION), "env_id": None,
              "progress": False, argument: value}
    own_error_or_finite(train_gail, **kwargs)


@TRAINING
@given(argument=st.sampled_from(["demos", "config"]), value=ANYTHING)
def test_train_bc_with_one_wrong_argument(demos, argument, value):
    kwargs = {"demos": demos, "config": BCConfig(epochs=1), argument: value}
    own_error_or_finite(train_bc, **kwargs)


# ---- policies, controllers and evaluation ------------------------------------------------------


@pytest.fixture(scope="module")
def expert() -> ActorCritic:
    return load_expert()


@FEW
@given(argument=st.sampled_from(["policy", "env_id", "episodes", "seed", "deterministic"]), value=ANYTHING)
def test_run_episodes_with_one_wrong_argument(expert, argument, value):
    kwargs = {"policy": expert, "env_id": CARTPOLE, "episodes": 2, "seed": 0, argument: value}
    own_error_or_finite(run_episodes, **kwargs)


def filled(shape: tuple[int, ...], fill: float, dtype: type) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):  # NaN cast to an integer type: any value will do
        return np.full(shape, fill).astype(dtype)


ACTIONS = st.one_of(
    ANYTHING,
    st.builds(filled,
              st.sampled_from([(2,), (2, 1), (1,), (2, 2), (), (3,)]),
              st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True)),
              st.sampled_from([np.int64, np.float32, np.float64, np.uint8, bool])),
)


@FEW
@given(env_id=st.sampled_from([CARTPOLE, "Pendulum-v1"]), actions=ACTIONS)
def test_a_controller_returning_anything_is_refused_or_its_episodes_are_finite(env_id, actions):
    own_error_or_finite(run_episodes, lambda obs: actions, env_id, 2, 0)


@FEW
@given(argument=st.sampled_from(["env_id", "seed", "max_steps"]), value=ANYTHING)
def test_episode_frames_and_random_controller_with_one_wrong_argument(argument, value):
    push_left = lambda obs: np.zeros(len(obs), dtype=np.int64)  # noqa: E731  (the pole falls in ~10 steps)
    kwargs = {"policy": push_left, "env_id": CARTPOLE, "seed": 0, "max_steps": 3, argument: value}
    own_error_or_finite(episode_frames, **kwargs)
    if argument != "max_steps":
        own_error_or_finite(random_controller, kwargs["env_id"], kwargs["seed"])


@FEW
@given(obs=st.one_of(ANYTHING, st.lists(st.lists(st.floats(allow_nan=True), min_size=4, max_size=4), max_size=3)))
def test_predict_with_any_observations(expert, obs):
    own_error_or_finite(expert.predict, obs)


@FEW
@given(argument=st.sampled_from(["obs_dim", "action_spec", "hidden_size", "seeds"]),
       value=st.one_of(st.none(), st.booleans(), st.integers(-3, 8), st.floats(allow_nan=True), st.text(max_size=3),
                       st.lists(st.integers(-2, 3), max_size=3), st.just(np.int64(4))))
def test_actor_critic_with_one_wrong_argument(argument, value):
    kwargs = {"obs_dim": 4, "action_spec": ActionSpec(True, 2), "hidden_size": 8, "seeds": [0], argument: value}
    own_error_or_finite(ActorCritic, **kwargs)


@FEW
@given(env_id=ANYTHING)
def test_env_signature_of_anything(env_id):
    own_error_or_finite(env_signature, env_id)


# ---- tabular solvers ---------------------------------------------------------------------------


WORLD = make_course_gridworld(GridworldConfig(size=3))
UNIFORM = np.full((9, 4), 0.25)
REWARDS = st.one_of(
    ANYTHING,
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=9, max_size=9),
    st.lists(st.floats(-1e308, 1e308), min_size=9, max_size=9),
)


@FEW
@given(reward=REWARDS, horizon=st.one_of(st.integers(1, 40), ANYTHING))
def test_soft_value_iteration_and_gridworld_with_any_reward(reward, horizon):
    own_error_or_finite(soft_value_iteration, WORLD, reward, horizon)
    own_error_or_finite(Gridworld, GridworldConfig(size=3), reward)


@FEW
@given(argument=st.sampled_from(["world", "tol", "max_iter"]), value=ANYTHING)
def test_value_iteration_with_one_wrong_argument(argument, value):
    assume(not (argument == "max_iter" and isinstance(value, int) and value > 10**6))  # valid, just slow
    kwargs = {"world": WORLD, "tol": 1e-6, "max_iter": 2000, argument: value}
    own_error_or_finite(value_iteration, **kwargs)


@FEW
@given(argument=st.sampled_from(["policy", "n", "horizon", "seed"]),
       value=st.one_of(ANYTHING, st.sampled_from([UNIFORM * 2, -UNIFORM, UNIFORM.T, np.full((9, 4), np.nan)])))
def test_sample_trajectories_and_visitation_with_one_wrong_argument(argument, value):
    kwargs = {"world": WORLD, "policy": UNIFORM, "n": 3, "horizon": 4, "seed": 0, argument: value}
    own_error_or_finite(sample_trajectories, **kwargs)
    if argument in ("policy", "horizon"):
        own_error_or_finite(expected_state_visitation, WORLD, kwargs["policy"], kwargs["horizon"])


TRAJECTORIES = sample_trajectories(WORLD, UNIFORM, 20, 4, seed=0)


@FEW
@given(argument=st.sampled_from(["trajectories", "config", "features", "true_reward"]),
       value=st.one_of(ANYTHING, REWARDS, st.sampled_from([TRAJECTORIES.astype(float), TRAJECTORIES[:, :2],
                                                            TRAJECTORIES + 9, np.eye(9) * 1e300, np.eye(8)])))
def test_maxent_irl_with_one_wrong_argument(argument, value):
    kwargs = {"world": WORLD, "trajectories": TRAJECTORIES, "config": MaxEntIRLConfig(iterations=3, horizon=4),
              "features": None, "true_reward": WORLD.reward, argument: value}
    own_error_or_finite(maxent_irl, **kwargs)


@FEW
@given(a=REWARDS, b=REWARDS)
def test_pearson_of_anything(a, b):
    own_error_or_finite(pearson, a, b)


@FEW
@given(value=ANYTHING)
def test_gridworld_helpers_with_anything(value):
    own_error_or_finite(course_reward, value)
    own_error_or_finite(WORLD.state_to_xy, value)
    own_error_or_finite(WORLD.xy_to_state, value, 0)
    own_error_or_finite(make_course_gridworld, value)


def test_the_strategies_reach_both_outcomes():
    """The properties above are not vacuous: wrong values raise, right ones return."""
    assert isinstance(own_error_or_finite(run_episodes, load_expert(), CARTPOLE, "2"), InputError)
    assert isinstance(own_error_or_finite(run_episodes, load_expert(), CARTPOLE, np.int64(1)), EpisodeBatch)
    assert isinstance(own_error_or_finite(PPOConfig, seed=np.int64(2)), Config)
