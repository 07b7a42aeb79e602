"""The package's exceptions: each one names what was wrong and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Mapping

from gail_helpers.config import ConfigError

__all__ = ["ConfigError", "DataFileError", "DemonstrationError", "TrainingDivergedError", "check_finite"]


class DemonstrationError(ValueError):
    """Demonstrations are empty, contain NaN, or do not match the environment."""


class DataFileError(ValueError):
    """A file is missing, corrupt, or not one that gail_helpers wrote."""


class TrainingDivergedError(FloatingPointError):
    """A loss or reward became NaN or infinite; training stopped before plotting garbage."""


def check_finite(where: str, values: Mapping[str, float], hint: str = "") -> None:
    """Raise :class:`TrainingDivergedError` naming ``where`` if any value is NaN or infinite."""
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if bad:
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        raise TrainingDivergedError(f"{where}: {', '.join(bad)} is not finite ({shown}). {hint}".strip())
