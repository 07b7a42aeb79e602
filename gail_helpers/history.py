"""Training history: one row per iteration, read back as numpy columns for plotting."""

from __future__ import annotations

import math

import numpy as np


class History:
    """Rows of per-iteration figures (env steps, seconds, returns, losses, D statistics).

    ``history["eval_return"]`` is a float array with NaN where a row has no such figure,
    so it plots directly against ``history["env_steps"]``.
    """

    def __init__(self, rows: list[dict[str, float]] | None = None) -> None:
        self.rows: list[dict[str, float]] = list(rows or [])

    def append(self, row: dict[str, float]) -> None:
        """Add one iteration's figures."""
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> np.ndarray:
        if not any(name in r for r in self.rows):
            raise KeyError(f"no column {name!r} in this history; columns are {self.columns}")
        return np.array([r.get(name, math.nan) for r in self.rows], dtype=float)

    @property
    def columns(self) -> list[str]:
        """Column names in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def evaluations(self) -> tuple[np.ndarray, np.ndarray]:
        """(env_steps, eval_return) of the rows that carry an evaluation (empty arrays if none do)."""
        if not any("eval_return" in r for r in self.rows):
            return np.array([]), np.array([])
        steps, returns = self["env_steps"], self["eval_return"]
        keep = ~np.isnan(returns)
        return steps[keep], returns[keep]

    def first_reaching(self, threshold: float) -> dict[str, float] | None:
        """The first row whose evaluation return is >= ``threshold``, or None."""
        for r in self.rows:
            if r.get("eval_return", -math.inf) >= threshold:
                return r
        return None
