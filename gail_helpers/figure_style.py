"""The course's one figure style, sized for a lecture hall.

Every text is at least :data:`MIN_FONT_SIZE` points: titles, axis labels, tick numbers, legends,
colour-bar labels and the numbers written inside gridworld cells.  :mod:`gail_helpers.plotting`
and :mod:`gail_helpers.plotting_gridworld` apply it when they are imported; a notebook that draws
with matplotlib alone can call :func:`use_course_style` itself.
"""

from __future__ import annotations

import matplotlib

MIN_FONT_SIZE = 11
"""The smallest text (in points) any course figure writes."""

CELL_FONT_SIZE = MIN_FONT_SIZE
"""Numbers written inside heatmap cells (gridworld values and rewards)."""

COURSE_STYLE: dict[str, object] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "legend.framealpha": 0.9,
    "figure.titlesize": 14,
    "lines.linewidth": 2.0,
}
"""The rcParams the course sets (sizes in points): nothing below :data:`MIN_FONT_SIZE`."""


def use_course_style() -> None:
    """Apply :data:`COURSE_STYLE` to matplotlib's rcParams (safe to call more than once)."""
    matplotlib.rcParams.update(COURSE_STYLE)
