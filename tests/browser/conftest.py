"""Fixtures of the browser tests: one headless Chromium per session; servers per test module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import CHROMIUM_ARGS, NOTEBOOKS, find_chromium, skip_or_fail


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; skip (or, with CI=true, fail) when it or Playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("the `playwright` Python package is not installed")
    path = find_chromium()
    if path is None:
        skip_or_fail("no Chromium found on PATH (`chromium`)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    """A headless Chromium driven by Playwright (never `playwright install`: the system one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def served_notebooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of notebooks/ (and anything beside them) for a server to work on."""
    root = tmp_path_factory.mktemp("served") / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root
