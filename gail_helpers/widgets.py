"""Widget panels built from the config dataclasses' fields (ranges, help, defaults).

A panel shows one control per chosen field and a status line.  ``panel.config()`` returns a
validated config built from the current values, or raises :class:`ConfigError` after showing
the message in the status line, so a notebook cell stays::

    panel = ConfigPanel(PPOConfig, ["learning_rate", "total_steps"])
    panel                      # display it; move a slider
    ...
    config = panel.config()    # then re-run the training cell
"""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import validate

from gail_helpers.checks import check_instance, shown
from gail_helpers.config import Config, ConfigError, FieldSpec, field_value

STYLE = {"description_width": "150px"}
LAYOUT = widgets.Layout(width="480px")


class _FieldControl:
    """Mixin for a field's control: a value set from code (``control.value = x``) must be of the
    field's type or one of its choices, else :class:`ConfigError` names the field.  A number of the
    right type is kept as given, never clamped to the slider's ends, so an out-of-range value shows
    as ✗ in the panel's status line instead of quietly becoming another value marked ✓ valid.
    (Values from the page arrive through ``set_state`` and never leave the slider's range.)
    """

    field: tuple[str, FieldSpec] | None = None  # (label, spec), set once the control is built

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "value" and self.field is not None:
            value = field_value(*self.field, value)
        super().__setattr__(name, value)

    @validate("value")
    def _validate_value(self, proposal: Any) -> Any:
        return proposal.value  # replaces the sliders' clamping; the field's range is checked by panel.config()


# Named like ipywidgets' own classes: a panel's text form (what a notebook stores beside the widget) is unchanged.
class Dropdown(_FieldControl, widgets.Dropdown):
    """A field's dropdown (its choices)."""


class Checkbox(_FieldControl, widgets.Checkbox):
    """A field's checkbox (True or False)."""


class FloatLogSlider(_FieldControl, widgets.FloatLogSlider):
    """A field's slider on a log scale (learning rates)."""


class FloatSlider(_FieldControl, widgets.FloatSlider):
    """A field's slider for a number."""


class IntSlider(_FieldControl, widgets.IntSlider):
    """A field's slider for a whole number in a narrow range."""


class IntText(_FieldControl, widgets.IntText):
    """A field's box for a whole number in a wide range (validated on use)."""


def control_for(spec: FieldSpec, value: Any, label: str | None = None) -> widgets.ValueWidget:
    """The widget for one field: dropdown, checkbox, log slider, slider or integer box.

    ``label`` (default: the field's name) is the control's description, e.g. ``"ppo.learning_rate"``
    for a nested field, so it is not mistaken for the outer config's ``disc_learning_rate``.
    ``value``, and any value set from code later, must be of the field's type (:class:`ConfigError`).
    """
    check_instance("spec", spec, FieldSpec, "one of SomeConfig.specs()", ConfigError)
    if label is not None and not isinstance(label, str):
        raise ConfigError(f"label must be None or a str, got {shown(label)}")
    label = label or spec.name
    value = field_value(label, spec, value)
    named = {"description": label, "tooltip": spec.help}
    boxed = {**named, "style": STYLE, "layout": LAYOUT}
    slider = {**boxed, "continuous_update": False}
    if spec.choices is not None:
        control = Dropdown(options=list(spec.choices), value=value, **boxed)
    elif spec.kind is bool:
        control = Checkbox(value=value, indent=False, **named)
    elif spec.kind is float and spec.log:
        control = FloatLogSlider(value=value, base=10, min=math.log10(spec.low), max=math.log10(spec.high),
                                  step=0.05, readout_format=".1e", **slider)
    elif spec.kind is float:
        control = FloatSlider(value=value, min=spec.low, max=spec.high, step=(spec.high - spec.low) / 200,
                               readout_format=".3g", **slider)
    elif spec.high - spec.low <= 1000:
        control = IntSlider(value=value, min=int(spec.low), max=int(spec.high), **slider)
    else:  # wide integer ranges (step budgets, seeds): a text box, validated on use
        control = IntText(value=value, **boxed)
    control.field = (label, spec)
    return control


def _field_specs(config: Config, prefix: str = "") -> dict[str, tuple[FieldSpec, Any]]:
    """Every field as ``name -> (spec, current value)``; nested configs as ``"ppo.learning_rate"``."""
    out = {prefix + s.name: (s, getattr(config, s.name)) for s in type(config).specs()}
    for name, value in vars(config).items():
        if isinstance(value, Config):
            out.update(_field_specs(value, f"{prefix}{name}."))
    return out


def _nested(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted names to nested dicts, ``{"ppo.seed": 1}`` -> ``{"ppo": {"seed": 1}}``, for ``Config.replace``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        *heads, last = key.split(".")
        node = out
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value
    return out


class ConfigPanel(widgets.VBox):
    """Controls for some fields of a config (``"ppo.total_steps"`` reaches a nested one).

    Fields not shown keep ``base``'s values.  ``hint`` follows "✓ valid:" in the status line
    (say what makes the values take effect).
    """

    def __init__(
        self,
        base: Config | type[Config],
        fields: Sequence[str] | None = None,
        title: str = "",
        hint: str = "re-run the training cell to use these values",
    ) -> None:
        if isinstance(base, type) and issubclass(base, Config):
            base = base()
        self.base = check_instance("base", base, Config, "a config or a config class such as PPOConfig", ConfigError)
        for name, text in (("title", title), ("hint", hint)):
            if not isinstance(text, str):
                raise ConfigError(f"{name} must be a str, got {shown(text)}")
        specs = _field_specs(self.base)
        if isinstance(fields, str) or not (fields is None or isinstance(fields, Sequence)):
            raise ConfigError(f"fields must be a list of field names such as ['learning_rate'], got {shown(fields)}")
        names = list(fields) if fields is not None else [n for n in specs if "." not in n]
        unknown = [n for n in names if not isinstance(n, str) or n not in specs]
        if unknown:
            raise ConfigError(f"{type(self.base).__name__} has no field(s) {unknown}; fields are {list(specs)}")
        self.hint = hint
        self.controls = {n: control_for(*specs[n], label=n) for n in names}
        self.status = widgets.HTML()
        header = widgets.HTML(f"<b>{html.escape(title or type(self.base).title)} hyperparameters</b>")
        super().__init__([header, *self.controls.values(), self.status])
        for control in self.controls.values():
            control.observe(lambda _change: self._refresh(), names="value")
        self._refresh()

    def values(self) -> dict[str, Any]:
        """The controls' current values by field name."""
        return {name: control.value for name, control in self.controls.items()}

    def config(self) -> Config:
        """A validated config from the current values; shows and raises the error if invalid."""
        try:
            config = self.base.replace(**_nested(self.values()))
        except ConfigError as exc:
            self.status.value = f"<span style='color:#b00020'>✗ {html.escape(str(exc))}</span>"
            raise
        self.status.value = f"<span style='color:#2e7d32'>✓ valid: {html.escape(self.hint)}</span>"
        return config

    def _refresh(self) -> None:
        with contextlib.suppress(ConfigError):  # shown in the status line; raised again on use
            self.config()
