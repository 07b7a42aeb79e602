"""Tests for the hyperparameter configs: validation, field metadata and derived values."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from gail_helpers.config import (
    REWARD_FORMS,
    BCConfig,
    Config,
    ConfigError,
    GAILConfig,
    GridworldConfig,
    MaxEntIRLConfig,
    PPOConfig,
)

ALL_CONFIGS = (PPOConfig, GAILConfig, BCConfig, GridworldConfig, MaxEntIRLConfig)


def esc(value: object) -> str:
    """``repr(value)`` as a literal inside a regular expression."""
    return re.escape(repr(value))


def spec_of(cls: type[Config], name: str):
    (spec,) = [s for s in cls.specs() if s.name == name]
    return spec


# ---- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_CONFIGS)
def test_defaults_are_valid_and_inside_their_declared_ranges(cls):
    config = cls()
    for spec in cls.specs():
        value = getattr(config, spec.name)
        assert value == spec.default
        if spec.low is not None:
            assert spec.low <= value <= spec.high, spec.name


@pytest.mark.parametrize(
    ("name", "value", "bound"),
    [
        ("total_steps", 999, "1000 <= value <= 2000000"),
        ("total_steps", 2_000_001, "1000 <= value <= 2000000"),
        ("num_envs", 0, "1 <= value <= 64"),
        ("num_envs", 65, "1 <= value <= 64"),
        ("learning_rate", 1e-6, "1e-05 <= value <= 0.1"),
        ("learning_rate", 0.2, "1e-05 <= value <= 0.1"),
        ("gamma", 0.49, "0.5 <= value <= 0.9999"),
        ("gamma", 1.0, "0.5 <= value <= 0.9999"),
        ("gae_lambda", -0.01, "0.0 <= value <= 1.0"),
        ("gae_lambda", 1.01, "0.0 <= value <= 1.0"),
        ("eval_every", -1, "0 <= value <= 1000000"),
        ("seed", -1, "0 <= value <= 2147483647"),
        ("seed", 2**31, "0 <= value <= 2147483647"),
    ],
)
def test_ppo_value_out_of_range_names_field_value_and_allowed_range(name, value, bound):
    with pytest.raises(ConfigError, match=rf"^PPOConfig\.{name} = {esc(value)} is out of range: allowed {bound} \("):
        PPOConfig(**{name: value})


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (GAILConfig, "disc_learning_rate", 0.5),
        (GAILConfig, "disc_minibatch", 7),
        (GAILConfig, "grad_penalty", -1.0),
        (BCConfig, "epochs", 0),
        (BCConfig, "batch_size", 65_537),
        (GridworldConfig, "size", 2),
        (GridworldConfig, "slip_prob", 0.95),
        (MaxEntIRLConfig, "horizon", 501),
        (MaxEntIRLConfig, "learning_rate", 20.0),
    ],
)
def test_other_configs_reject_out_of_range_values(cls, name, value):
    spec = spec_of(cls, name)
    message = rf"^{cls.__name__}\.{name} = {esc(value)} is out of range: allowed {spec.low} <= value <= {spec.high}"
    with pytest.raises(ConfigError, match=message):
        cls(**{name: value})


@pytest.mark.parametrize("cls", ALL_CONFIGS)
def test_range_bounds_are_inclusive(cls):
    for spec in cls.specs():
        if spec.low is None:
            continue
        kind = spec.kind
        for bound in (spec.low, spec.high):
            config = cls(**{spec.name: kind(bound)})
            assert getattr(config, spec.name) == bound


def test_help_text_is_part_of_the_range_message():
    with pytest.raises(ConfigError, match=r"\(discount factor\)$"):
        PPOConfig(gamma=0.1)


# ---- types --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False, 64.0, 64.5, "64", None])
def test_int_field_rejects_bool_float_and_str(value):
    with pytest.raises(ConfigError, match=rf"^PPOConfig\.hidden_size must be a whole number, got {esc(value)} \("):
        PPOConfig(hidden_size=value)


@pytest.mark.parametrize("value", [True, False, "0.99", None, [0.99]])
def test_float_field_rejects_bool_and_non_numbers(value):
    with pytest.raises(ConfigError, match=rf"^PPOConfig\.gamma must be a number, got {esc(value)}"):
        PPOConfig(gamma=value)


def test_float_field_accepts_an_int_inside_its_range():
    assert PPOConfig(gae_lambda=1).gae_lambda == 1
    assert PPOConfig(ent_coef=0).ent_coef == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_float_field_rejects_nan_and_infinity(value):
    with pytest.raises(ConfigError, match=rf"^PPOConfig\.learning_rate must be a finite number, got {esc(value)}"):
        PPOConfig(learning_rate=value)


def test_nan_in_an_int_field_is_a_type_error_message():
    with pytest.raises(ConfigError, match=r"^BCConfig\.epochs must be a whole number, got nan"):
        BCConfig(epochs=math.nan)


@pytest.mark.parametrize("value", [1, 0, "True", None, 1.0])
def test_bool_field_accepts_only_true_or_false(value):
    with pytest.raises(ConfigError, match=rf"^PPOConfig\.anneal_lr must be True or False, got {esc(value)} \(decay"):
        PPOConfig(anneal_lr=value)


def test_bool_fields_take_both_values():
    assert PPOConfig(norm_adv=False).norm_adv is False
    assert GAILConfig(freeze_discriminator=True).freeze_discriminator is True


# ---- choices ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["log(D)", "", None, 1])
def test_reward_form_must_be_one_of_the_choices(value):
    message = (
        rf"^GAILConfig\.reward_form = {esc(value)} is not allowed: choose one of "
        r"\['-log\(1-D\)', 'log D', 'logit'\]$"
    )
    with pytest.raises(ConfigError, match=message):
        GAILConfig(reward_form=value)


@pytest.mark.parametrize("form", REWARD_FORMS)
def test_every_reward_form_choice_is_accepted(form):
    assert GAILConfig(reward_form=form).reward_form == form


# ---- cross-field rules --------------------------------------------------------------------


def test_num_minibatches_may_not_exceed_the_rollout_size():
    message = (
        r"^PPOConfig\.num_minibatches = 9 exceeds the rollout size num_envs \* num_steps = 8: allowed 1\.\.8$"
    )
    with pytest.raises(ConfigError, match=message):
        PPOConfig(num_envs=2, num_steps=4, num_minibatches=9)


def test_num_minibatches_equal_to_the_rollout_size_is_allowed():
    config = PPOConfig(num_envs=2, num_steps=4, num_minibatches=8)
    assert config.num_minibatches == config.batch_size == 8


def test_gail_ppo_field_must_be_a_ppo_config():
    with pytest.raises(ConfigError, match=r"^GAILConfig\.ppo must be a PPOConfig, got dict$"):
        GAILConfig(ppo={"total_steps": 5000})
    with pytest.raises(ConfigError, match=r"^GAILConfig\.ppo must be a PPOConfig, got BCConfig$"):
        GAILConfig(ppo=BCConfig())


def test_gail_default_learner_looks_further_ahead_in_smaller_steps():
    from gail_helpers.config import GAIL_PPO

    assert GAILConfig().ppo == GAIL_PPO == PPOConfig(gamma=0.995, num_minibatches=8)
    custom = PPOConfig(total_steps=5_000)
    assert GAILConfig(ppo=custom).ppo is custom


# ---- replace ------------------------------------------------------------------------------


def test_replace_changes_only_the_named_fields():
    base = PPOConfig()
    changed = base.replace(learning_rate=1e-3, num_envs=4)
    assert (changed.learning_rate, changed.num_envs) == (1e-3, 4)
    assert base.learning_rate == 2.5e-3  # the original is untouched
    same = {f.name for f in dataclasses.fields(PPOConfig)} - {"learning_rate", "num_envs"}
    assert all(getattr(changed, n) == getattr(base, n) for n in same)


def test_replace_with_unknown_fields_lists_them_and_the_valid_fields():
    with pytest.raises(ConfigError, match=r"^PPOConfig has no field\(s\) \['lr', 'steps'\]; fields are \[") as info:
        PPOConfig().replace(lr=1e-3, steps=10, seed=1)
    message = str(info.value)
    for spec in PPOConfig.specs():
        assert repr(spec.name) in message


def test_replace_validates_the_new_values():
    with pytest.raises(ConfigError, match=r"^PPOConfig\.clip_coef = 2\.0 is out of range"):
        PPOConfig().replace(clip_coef=2.0)
    with pytest.raises(ConfigError, match=r"^PPOConfig\.num_minibatches = 128 exceeds the rollout size"):
        PPOConfig(num_minibatches=128).replace(num_envs=1, num_steps=64)
    with pytest.raises(ConfigError, match=r"^GAILConfig\.ppo must be a PPOConfig, got int$"):
        GAILConfig().replace(ppo=3)


def test_replace_nested_ppo_config():
    gail = GAILConfig().replace(ppo=PPOConfig().replace(total_steps=20_000))
    assert gail.ppo.total_steps == 20_000
    assert gail.reward_form == "-log(1-D)"


def test_replace_with_a_dict_changes_only_those_fields_of_the_nested_config():
    gail = GAILConfig(disc_updates=2).replace(ppo={"total_steps": 20_000, "seed": 3})
    assert gail.ppo == GAILConfig().ppo.replace(total_steps=20_000, seed=3)  # GAIL's gamma 0.995 is kept
    assert gail.disc_updates == 2
    with pytest.raises(ConfigError, match=r"^PPOConfig has no field\(s\) \['steps'\]"):
        GAILConfig().replace(ppo={"steps": 10})
    with pytest.raises(ConfigError, match=r"^PPOConfig\.total_steps = 10 is out of range"):
        GAILConfig().replace(ppo={"total_steps": 10})


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PPOConfig().gamma = 0.5  # type: ignore[misc]


def test_as_dict_nests_the_ppo_config():
    d = GAILConfig(reward_form="logit").as_dict()
    assert d["reward_form"] == "logit"
    assert d["ppo"] == PPOConfig(gamma=0.995, num_minibatches=8).as_dict()
    assert d["ppo"]["total_steps"] == 60_000


# ---- specs --------------------------------------------------------------------------------


def test_specs_follow_declaration_order_and_skip_the_nested_config():
    names = [s.name for s in GAILConfig.specs()]
    assert names == [
        "reward_form", "disc_learning_rate", "disc_updates", "disc_minibatch",
        "disc_hidden_size", "grad_penalty", "freeze_discriminator",
    ]
    assert [s.name for s in PPOConfig.specs()] == [f.name for f in dataclasses.fields(PPOConfig)]


def test_specs_reflect_param_metadata():
    lr = spec_of(PPOConfig, "learning_rate")
    assert (lr.kind, lr.low, lr.high, lr.log, lr.default, lr.choices) == (float, 1e-5, 1e-1, True, 2.5e-3, None)
    assert lr.help == "Adam step size"
    steps = spec_of(PPOConfig, "total_steps")
    assert (steps.kind, steps.low, steps.high, steps.log) == (int, 1_000, 2_000_000, False)
    form = spec_of(GAILConfig, "reward_form")
    assert (form.kind, form.choices, form.low, form.high) == (str, REWARD_FORMS, None, None)
    anneal = spec_of(PPOConfig, "anneal_lr")
    assert (anneal.kind, anneal.default, anneal.low, anneal.choices) == (bool, True, None, None)


def test_only_learning_rates_use_a_log_scale():
    logs = {(cls.__name__, s.name) for cls in ALL_CONFIGS for s in cls.specs() if s.log}
    assert logs == {
        ("PPOConfig", "learning_rate"),
        ("GAILConfig", "disc_learning_rate"),
        ("BCConfig", "learning_rate"),
        ("MaxEntIRLConfig", "learning_rate"),
    }


# ---- derived values -----------------------------------------------------------------------


def test_batch_size_is_envs_times_steps():
    assert PPOConfig().batch_size == 8 * 64
    assert PPOConfig(num_envs=3, num_steps=100).batch_size == 300


@pytest.mark.parametrize(
    ("total_steps", "num_envs", "num_steps", "iterations"),
    [
        (60_000, 8, 64, 118),  # 60000 / 512 = 117.2 -> rounded up
        (1_024, 8, 64, 2),  # exact
        (1_025, 8, 64, 3),
        (1_000, 64, 4096, 1),  # one rollout is bigger than the budget: still one iteration
    ],
)
def test_iterations_round_up_and_are_at_least_one(total_steps, num_envs, num_steps, iterations):
    config = PPOConfig(total_steps=total_steps, num_envs=num_envs, num_steps=num_steps)
    assert config.iterations == iterations
    assert config.iterations * config.batch_size >= total_steps
