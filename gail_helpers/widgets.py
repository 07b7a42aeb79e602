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

from gail_helpers.config import Config, ConfigError, FieldSpec

STYLE = {"description_width": "150px"}
LAYOUT = widgets.Layout(width="480px")


def control_for(spec: FieldSpec, value: Any, label: str | None = None) -> widgets.ValueWidget:
    """The widget for one field: dropdown, checkbox, log slider, slider or integer box.

    ``label`` (default: the field's name) is the control's description, e.g. ``"ppo.learning_rate"``
    for a nested field, so it is not mistaken for the outer config's ``disc_learning_rate``.
    """
    named = {"description": label or spec.name, "tooltip": spec.help}
    boxed = {**named, "style": STYLE, "layout": LAYOUT}
    slider = {**boxed, "continuous_update": False}
    if spec.choices is not None:
        return widgets.Dropdown(options=list(spec.choices), value=value, **boxed)
    if spec.kind is bool:
        return widgets.Checkbox(value=value, indent=False, **named)
    if spec.kind is float and spec.log:
        return widgets.FloatLogSlider(value=value, base=10, min=math.log10(spec.low), max=math.log10(spec.high),
                                      step=0.05, readout_format=".1e", **slider)
    if spec.kind is float:
        return widgets.FloatSlider(value=value, min=spec.low, max=spec.high, step=(spec.high - spec.low) / 200,
                                   readout_format=".3g", **slider)
    if spec.high - spec.low <= 1000:
        return widgets.IntSlider(value=value, min=int(spec.low), max=int(spec.high), **slider)
    # wide integer ranges (step budgets, seeds): a text box, validated on use
    return widgets.IntText(value=value, **boxed)


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
        self.base = base() if isinstance(base, type) else base
        specs = _field_specs(self.base)
        names = list(fields) if fields is not None else [n for n in specs if "." not in n]
        unknown = [n for n in names if n not in specs]
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
