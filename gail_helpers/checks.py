"""Checks for what a public function is given, run where it enters the package.

Each helper returns the argument in the form the package works with (numpy numbers become Python
ones, lists become arrays) or raises the package's own error, by default :class:`InputError`,
naming the argument, what it got and what is allowed.  A learner then reads

    episodes must be a whole number >= 1, got 2.5 (float)

instead of a traceback from inside numpy, torch or gymnasium.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from gail_helpers.errors import InputError


def brief(value: Any) -> str:
    """``repr(value)``, cut to at most 60 characters (a huge array or int stays readable)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shown(value: Any) -> str:
    """``value`` for a message: its repr (at most 60 characters) and its type."""
    return f"{brief(value)} ({type(value).__name__})"


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" in {low}..{high}"
    if low is not None:
        return f" >= {low}"
    return f" <= {high}" if high is not None else ""


def check_int(
    name: str, value: Any, low: int | None = None, high: int | None = None, error: type[Exception] = InputError
) -> int:
    """``value`` as an int in ``low..high`` (numpy integers too; not bool, not 2.0), or raise ``error``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise error(f"{name} must be a whole number{_bounds(low, high)}, got {shown(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise error(f"{name} must be a whole number{_bounds(low, high)}, got {value}")
    return value


def check_number(name: str, value: Any, error: type[Exception] = InputError) -> float:
    """``value`` as a finite float (ints and numpy numbers too; not bool), or raise ``error``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be a finite number, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise error(f"{name} must be a finite number, got {shown(value)}")
    return number


def check_bool(name: str, value: Any, error: type[Exception] = InputError) -> bool:
    """``value`` as True or False (numpy's bools too), or raise ``error``."""
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be True or False, got {shown(value)}")
    return bool(value)


def check_instance(name: str, value: Any, kind: type, hint: str = "", error: type[Exception] = InputError) -> Any:
    """``value`` unchanged if it is a ``kind``, else raise ``error`` (``hint`` says how to get one)."""
    if not isinstance(value, kind):
        article = "an" if kind.__name__[0] in "AEIOUaeiou" else "a"
        raise error(f"{name} must be {article} {kind.__name__}{f' ({hint})' if hint else ''}, got {shown(value)}")
    return value


def check_callable(name: str, value: Any, allowed: str, error: type[Exception] = InputError) -> Any:
    """``value`` unchanged if it can be called, else raise ``error`` saying what is ``allowed``."""
    if not callable(value):
        raise error(f"{name} must be {allowed}, got {shown(value)}")
    return value


def check_seeds(name: str, seeds: Any, error: type[Exception] = InputError) -> list[int]:
    """A non-empty list of seeds, each a whole number >= 0, or raise ``error``."""
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise error(f"{name} must be a list of whole numbers >= 0 such as [0, 1, 2], got {shown(seeds)}")
    out = [check_int(f"each of {name}", s, low=0, error=error) for s in seeds]
    if not out:
        raise error(f"{name} must hold at least one seed, got an empty {type(seeds).__name__}")
    return out


def as_float_array(name: str, value: Any, error: type[Exception] = InputError) -> np.ndarray:
    """``value`` (an array, a list, a number) as a float array, or raise ``error`` if it holds no numbers."""
    if isinstance(value, (str, bytes)):
        raise error(f"{name} must be an array of numbers, got {shown(value)}")
    try:
        return np.asarray(value, dtype=float)
    except (ValueError, TypeError, OverflowError) as exc:  # strings, None inside, ragged nesting
        raise error(f"{name} must be an array of numbers, got {shown(value)}: {exc}") from None


def as_array(name: str, value: Any, error: type[Exception] = InputError) -> np.ndarray:
    """``value`` (an array or nested lists) as a numpy array of one shape, or raise ``error``.

    Only converts: the caller checks the dtype (so that float ids are refused, not rounded).
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nesting
        raise error(f"{name} must be an array of one shape, got {shown(value)}: {exc}") from None
    if array.dtype == object:
        raise error(f"{name} must be an array of numbers, got {shown(value)}")
    return array
