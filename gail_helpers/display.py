"""Notebook display helpers: the package's own source beside the text, and checked claims."""

from __future__ import annotations

import inspect
import textwrap
import types
from collections.abc import Callable

from IPython.display import Markdown

from gail_helpers.checks import shown
from gail_helpers.errors import InputError


def show_source(obj: Callable | type | types.ModuleType, start: str | None = None, end: str | None = None) -> Markdown:
    """The installed source of ``obj`` as a highlighted code block.

    With ``start`` (and ``end``), only the lines from the first one containing ``start`` up to
    and including the first later one containing ``end`` are shown: the lines being taught.
    Because the notebook shows the package's real code, the lesson and the code cannot drift.
    """
    for name, text in (("start", start), ("end", end)):
        if text is not None and not isinstance(text, str):
            raise InputError(f"{name} must be None or a line's text (a str), got {shown(text)}")
    try:
        lines = inspect.getsource(obj).splitlines()
    except (TypeError, OSError) as exc:
        raise InputError(f"show_source needs a function, class or module with source code, got {shown(obj)}") from exc
    if start is not None:
        first = next((i for i, line in enumerate(lines) if start in line), None)
        if first is None:
            raise ValueError(f"{start!r} does not occur in the source of {_name(obj)}")
        last = len(lines) - 1
        if end is not None:
            last = next((i for i in range(first, len(lines)) if end in lines[i]), None)
            if last is None:
                raise ValueError(f"{end!r} does not occur after {start!r} in {_name(obj)}")
        lines = lines[first : last + 1]
    code = textwrap.dedent("\n".join(lines))
    return Markdown(f"From `{_name(obj)}`:\n\n```python\n{code}\n```")


def _name(obj: object) -> str:
    """``module.Qualified.name`` of a function or class; a module's own name."""
    module = inspect.getmodule(obj).__name__
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if qualname else module


def claim(text: str, holds: bool) -> bool:
    """Print a claim the text makes with a mark saying whether this run supports it.

    The printed line has no run-specific numbers, so the notebook tests compare it exactly on
    any machine: if a change to the code breaks a claim, the mark flips and the test fails.
    """
    print(f"{'✓' if holds else '✗ NOT'} {text}")
    return holds
