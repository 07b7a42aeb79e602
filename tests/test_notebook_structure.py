"""Every numbered notebook has the shape notebooks/AUTHORING.md asks for, and is committed executed.

nbval checks the outputs; this checks what nbval cannot see: objectives, summary and hidden
exercise solutions, a reason next to every ``NBVAL_IGNORE_OUTPUT`` marker, a clean top-to-bottom
execution, no claim that failed (✗) in the committed run, and no ``show_source`` output that no
longer matches the package's code.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import gail_helpers

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MARKER = "# NBVAL_IGNORE_OUTPUT"


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(path: Path) -> str:
    return "\n".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")


def test_the_series_is_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), [p.name for p in NOTEBOOKS]
    assert len(numbers) >= 10, "00-09 are the course; one is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_objectives_summary_and_exercises_with_hidden_solutions(path):
    text = markdown(path)
    assert re.search(r"learning objectives", source(cells(path)[0]), re.I), "the first cell states the objectives"
    assert re.search(r"^## Summary", text, re.M), "a '## Summary' section"
    exercises = text.split("## Exercises", 1)
    assert len(exercises) == 2, "a '## Exercises' section"
    hidden = exercises[1].count("<details><summary>Solution</summary>")
    assert 2 <= hidden <= 4, f"2-4 exercises with a hidden solution, found {hidden}"
    assert exercises[1].count("</details>") == hidden, "every <details> block is closed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_ignored_output_says_why(path):
    for index, cell in enumerate(cells(path)):
        lines = source(cell).splitlines()
        if cell["cell_type"] != "code" or not any(MARKER in line for line in lines):
            continue
        assert lines[0] == MARKER, f"cell {index}: the marker must be alone on the first line (nbval's rule)"
        assert len(lines) > 1 and lines[1].startswith("# Why: "), f"cell {index}: the next line says '# Why: ...'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_executed_top_to_bottom_without_errors_or_failed_claims(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"run 'Restart kernel and run all' before committing: {counts}"
    for index, cell in enumerate(code):
        on_purpose = "# a claim that fails, on purpose" in source(cell)
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"code cell {index} raised {output.get('ename')}"
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            assert on_purpose or "✗" not in text, f"code cell {index} has a failed claim: {text.strip()[:200]}"


def show_source_cells(path: Path) -> list[tuple[int, str, str]]:
    """(index, the call, its committed Markdown) of every cell that is one ``show_source(...)`` call."""
    found = []
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code" or not source(cell).startswith("show_source("):
            continue
        tree = ast.parse(source(cell))
        call = tree.body[0].value if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "show_source":
            data = [o.get("data", {}) for o in cell.get("outputs", [])]
            shown = [d["text/markdown"] for d in data if "text/markdown" in d]
            found.append((index, source(cell), "".join(shown[0]) if shown else ""))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_shown_source_is_the_packages_current_code(path):
    """A change to a function a notebook shows must re-execute that notebook: nbval would catch the
    stale output only after running every training cell; this re-renders just the shown lines."""
    from gail_helpers.display import show_source

    modules = {m.name: importlib.import_module(f"gail_helpers.{m.name}")
               for m in pkgutil.iter_modules(gail_helpers.__path__)}
    # notebooks import modules (``from gail_helpers import gail``) and functions (``... import train_bc``)
    names = {k: v for module in modules.values() for k, v in vars(module).items() if not k.startswith("_")}
    names.update(modules)
    for index, call, committed in show_source_cells(path):
        current = eval(call, {"show_source": show_source, **names}).data  # a notebook's own line, from the repo
        assert current == committed, f"cell {index} ({call.splitlines()[0]}): re-execute {path.name}"
