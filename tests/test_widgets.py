"""Tests for the hyperparameter widget panels: controls from field specs, values back as configs."""

from __future__ import annotations

import math

import ipywidgets as widgets
import pytest

from gail_helpers.config import BCConfig, ConfigError, GAILConfig, PPOConfig
from gail_helpers.widgets import ConfigPanel, control_for

VALID = "✓ valid"


def spec_of(cls, name):
    (spec,) = [s for s in cls.specs() if s.name == name]
    return spec


# ---- controls built from specs ------------------------------------------------------------


def test_each_kind_of_field_gets_its_control_type():
    panel = ConfigPanel(
        GAILConfig,
        ["reward_form", "freeze_discriminator", "disc_learning_rate", "grad_penalty", "disc_updates",
         "disc_minibatch", "ppo.total_steps", "ppo.seed", "ppo.anneal_lr"],
    )
    # the package's controls subclass ipywidgets' own (to check values set from code): compare those
    kinds = {name: next(k for k in type(c).__mro__ if k.__module__.startswith("ipywidgets"))
             for name, c in panel.controls.items()}
    assert kinds == {
        "reward_form": widgets.Dropdown,  # choices
        "freeze_discriminator": widgets.Checkbox,  # bool
        "disc_learning_rate": widgets.FloatLogSlider,  # log-scale float
        "grad_penalty": widgets.FloatSlider,  # linear float
        "disc_updates": widgets.IntSlider,  # int range 0..50
        "disc_minibatch": widgets.IntText,  # int range 8..8192 (> 1000 wide)
        "ppo.total_steps": widgets.IntText,
        "ppo.seed": widgets.IntText,
        "ppo.anneal_lr": widgets.Checkbox,
    }


def test_dropdown_offers_exactly_the_choices():
    spec = spec_of(GAILConfig, "reward_form")
    control = control_for(spec, "logit")
    assert control.options == spec.choices
    assert control.value == "logit"
    assert control.description == "reward_form"


def test_slider_bounds_equal_the_spec_range():
    for cls, name in [(PPOConfig, "gamma"), (PPOConfig, "clip_coef"), (PPOConfig, "num_envs"),
                      (PPOConfig, "update_epochs"), (BCConfig, "hidden_size")]:
        spec = spec_of(cls, name)
        control = control_for(spec, spec.default)
        assert isinstance(control, (widgets.FloatSlider, widgets.IntSlider)), name
        assert (control.min, control.max) == (spec.low, spec.high), name
        assert control.value == spec.default, name


def test_log_slider_spans_the_spec_range_in_powers_of_ten():
    spec = spec_of(PPOConfig, "learning_rate")
    control = control_for(spec, 1e-3)
    assert control.base == 10
    assert (control.min, control.max) == pytest.approx((math.log10(1e-5), math.log10(1e-1)))
    assert control.value == pytest.approx(1e-3)


def test_controls_carry_the_field_name_and_help():
    panel = ConfigPanel(PPOConfig, ["gamma", "total_steps", "norm_adv"])
    for name, control in panel.controls.items():
        assert control.description == name
        assert control.tooltip == spec_of(PPOConfig, name).help


def test_nested_controls_are_labelled_with_their_dotted_name():
    # "learning_rate" beside "disc_learning_rate" would leave a learner guessing which is PPO's
    panel = ConfigPanel(GAILConfig, ["disc_learning_rate", "ppo.learning_rate", "ppo.total_steps", "ppo.anneal_lr"])
    assert [c.description for c in panel.controls.values()] == list(panel.controls)
    assert panel.controls["ppo.learning_rate"].tooltip == spec_of(PPOConfig, "learning_rate").help


def test_default_panel_shows_the_top_level_fields_only():
    panel = ConfigPanel(GAILConfig)
    assert list(panel.controls) == [s.name for s in GAILConfig.specs()]
    assert "ppo" not in panel.controls
    # header, one control per field, status line
    assert len(panel.children) == len(panel.controls) + 2
    assert panel.children[-1] is panel.status
    assert "GAIL hyperparameters" in panel.children[0].value


def test_controls_start_at_the_base_configs_values():
    base = PPOConfig(learning_rate=1e-3, total_steps=12_345, anneal_lr=False)
    panel = ConfigPanel(base, ["learning_rate", "total_steps", "anneal_lr"], title="My run")
    assert panel.values() == {"learning_rate": pytest.approx(1e-3), "total_steps": 12_345, "anneal_lr": False}
    assert "My run hyperparameters" in panel.children[0].value
    assert VALID in panel.status.value


# ---- panel.config() -----------------------------------------------------------------------


def test_config_returns_the_controls_current_values_and_keeps_the_rest():
    base = PPOConfig(seed=7)
    panel = ConfigPanel(base, ["gamma", "total_steps", "norm_adv", "num_envs"])
    panel.controls["gamma"].value = 0.95
    panel.controls["total_steps"].value = 20_000
    panel.controls["norm_adv"].value = False
    panel.controls["num_envs"].value = 4
    config = panel.config()
    assert isinstance(config, PPOConfig)
    assert config == base.replace(gamma=0.95, total_steps=20_000, norm_adv=False, num_envs=4)
    assert config.seed == 7
    assert VALID in panel.status.value


def test_dotted_names_reach_the_nested_ppo_config():
    panel = ConfigPanel(GAILConfig, ["reward_form", "ppo.total_steps", "ppo.learning_rate"])
    panel.controls["reward_form"].value = "logit"
    panel.controls["ppo.total_steps"].value = 30_000
    panel.controls["ppo.learning_rate"].value = 1e-3
    config = panel.config()
    assert isinstance(config, GAILConfig)
    assert config.reward_form == "logit"
    assert config.ppo.total_steps == 30_000
    assert config.ppo.learning_rate == pytest.approx(1e-3)
    assert config.ppo.num_envs == PPOConfig().num_envs  # untouched nested fields keep the base's values
    assert config.ppo.gamma == GAILConfig().ppo.gamma  # GAIL's learner defaults, not plain PPO's


def test_the_status_hint_says_what_makes_the_values_take_effect():
    assert "re-run the training cell" in ConfigPanel(PPOConfig).status.value
    panel = ConfigPanel(PPOConfig, hint="press Train to use these values")
    assert panel.status.value.endswith("✓ valid: press Train to use these values</span>")


def test_out_of_range_value_shows_the_message_and_config_raises():
    panel = ConfigPanel(GAILConfig, ["ppo.total_steps"])
    panel.controls["ppo.total_steps"].value = 10  # IntText takes any integer
    assert "PPOConfig.total_steps = 10 is out of range" in panel.status.value
    assert "1000 &lt;= value &lt;= 2000000" in panel.status.value  # HTML-escaped "<="
    assert VALID not in panel.status.value
    with pytest.raises(ConfigError, match=r"PPOConfig\.total_steps = 10 is out of range: allowed 1000 <= value"):
        panel.config()

    panel.controls["ppo.total_steps"].value = 5_000  # fixing it clears the error
    assert VALID in panel.status.value
    assert "out of range" not in panel.status.value
    assert panel.config().ppo.total_steps == 5_000


def test_inconsistent_values_show_the_cross_field_message():
    panel = ConfigPanel(PPOConfig, ["num_envs", "num_steps", "num_minibatches"])
    panel.controls["num_envs"].value = 1
    panel.controls["num_steps"].value = 4
    panel.controls["num_minibatches"].value = 8
    assert "PPOConfig.num_minibatches = 8 exceeds the rollout size num_envs * num_steps = 4" in panel.status.value
    with pytest.raises(ConfigError, match=r"num_minibatches = 8 exceeds the rollout size .* allowed 1\.\.4"):
        panel.config()

    panel.controls["num_steps"].value = 16
    assert VALID in panel.status.value
    config = panel.config()
    assert (config.num_envs, config.num_steps, config.num_minibatches) == (1, 16, 8)


def test_unknown_field_names_are_listed_with_the_valid_ones():
    with pytest.raises(ConfigError, match=r"GAILConfig has no field\(s\) \['lr', 'ppo.nope'\]; fields are \[") as info:
        ConfigPanel(GAILConfig, ["reward_form", "lr", "ppo.nope"])
    message = str(info.value)
    assert "'disc_learning_rate'" in message
    assert "'ppo.learning_rate'" in message  # nested fields are offered by their dotted name
