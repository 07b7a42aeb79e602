"""The package's exceptions: each one names what was wrong and what is allowed."""

from __future__ import annotations

import torch

__all__ = [
    "ConfigError",
    "DataFileError",
    "DemonstrationError",
    "GridworldError",
    "InputError",
    "TrainingDivergedError",
    "check_finite",
]


class ConfigError(ValueError):
    """A hyperparameter is out of its allowed range, of the wrong type, or inconsistent."""


class DemonstrationError(ValueError):
    """Demonstrations are empty, contain NaN, or do not match the environment."""


class DataFileError(ValueError):
    """A file is missing, corrupt, or not one that gail_helpers wrote."""


class GridworldError(ValueError):
    """Bad input to a gridworld function: wrong shape, non-finite values, or out-of-range ids."""


class InputError(ValueError, TypeError):
    """An argument of the wrong type or value, or one that does not fit the others (a policy built for
    another environment's observations or actions, say).

    It is both a ValueError and a TypeError, so code catching either of Python's usual errors for a bad
    argument still catches it.
    """


class TrainingDivergedError(FloatingPointError):
    """A loss or reward became NaN or infinite; training stopped before plotting garbage."""


def check_finite(what: str, per_seed: torch.Tensor, hint: str = "") -> None:
    """Raise :class:`TrainingDivergedError` if any seed's value (a tensor [S]) is NaN or infinite.

    The training loop adds *when* it happened (``exc.add_note``); this says *what* and *which seed*.
    """
    if not bool(torch.isfinite(per_seed).all()):
        bad = [i for i, ok in enumerate(torch.isfinite(per_seed).tolist()) if not ok]
        shown = per_seed.tolist()
        raise TrainingDivergedError(f"{what} is not finite for seed index(es) {bad}: {shown}. {hint}".strip())
