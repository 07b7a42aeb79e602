"""The classroom demo served by Voilà, in a real (headless) browser, as a lecturer uses it.

Sets a short budget in the panel, presses Train, waits until both live plots have been redrawn
(their images change), presses Stop, and asserts that the status reports the early stop, that
the learner's animation appears, and that the page shows no traceback and no widget error.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import NOTEBOOKS, Server, file_hash, screenshot, voila

DEMO = NOTEBOOKS / "classroom_demo.ipynb"
BUDGET = 20_000  # env steps: long enough that Stop comes first, short enough to be cheap if it did not
PAGE_TIMEOUT_MS = 240_000  # Voilà executes the notebook (imports torch) before the page shows
PLOTS_TIMEOUT_MS = 180_000
STOP_TIMEOUT_MS = 240_000  # after Stop: the current iteration, a greedy evaluation, the animation

PLOTS = ".classroom-curves, .classroom-d-map"  # CSS classes the demo gives its widgets
IMAGES_JS = f"() => Array.from(document.querySelectorAll('{PLOTS}')).map((img) => img.src)"
IMAGES_CHANGED_JS = """
([selector, before]) => {
  const now = Array.from(document.querySelectorAll(selector));
  return now.length === before.length && now.every((img, i) => img.src !== before[i] && img.complete
                                                    && img.naturalWidth > 0);
}
"""
PAGE_PROBLEMS_JS = """
() => {
  const text = document.body.innerText;
  const problems = [];
  for (const marker of ['Traceback', 'Error displaying widget', 'There was an error', 'Training failed']) {
    if (text.includes(marker)) { problems.push(marker); }
  }
  const errors = document.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"]');
  if (errors.length) { problems.push(`${errors.length} error output(s): ` + errors[0].innerText.slice(0, 500)); }
  return problems;
}
"""


@pytest.fixture(scope="module")
def demo_server(served_notebooks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Voilà on loopback serving the temporary copy of the demo; stopped at the end."""
    if not DEMO.exists():
        pytest.fail(f"{DEMO} is missing")
    shutil.copy2(DEMO, served_notebooks / DEMO.name)
    with voila(served_notebooks / DEMO.name, tmp_path_factory.mktemp("voila")) as server:
        yield server


def status_text(page) -> str:
    return page.locator(".classroom-status").inner_text()


def test_classroom_demo_trains_and_stops_in_voila(browser, demo_server: Server) -> None:
    digest = file_hash(DEMO)
    context = browser.new_context(viewport={"width": 1200, "height": 2000})  # the whole page in a screenshot
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    step = "opening the page"
    failure = ""
    try:
        page.goto(demo_server.url + "/", timeout=PAGE_TIMEOUT_MS)
        train, stop = page.get_by_role("button", name="Train"), page.get_by_role("button", name="Stop")
        train.wait_for(timeout=PAGE_TIMEOUT_MS)
        assert not page.evaluate(PAGE_PROBLEMS_JS), page.evaluate(PAGE_PROBLEMS_JS)
        assert page.locator(PLOTS).count() == 2, "the two plot images are missing"
        assert stop.is_disabled(), "Stop should be disabled before training"

        step = f"setting ppo.total_steps to {BUDGET}"
        row = page.locator(".widget-inline-hbox").filter(
            has=page.locator("label.widget-label", has_text=re.compile(r"^\s*ppo\.total_steps\s*$"))
        )
        box = row.locator("input").first
        box.fill(str(BUDGET))
        box.press("Enter")
        box.blur()
        page.locator(".widget-html", has_text="press Train to use these values").wait_for(timeout=30_000)

        step = "pressing Train and waiting for both plots to update"
        before = page.evaluate(IMAGES_JS)
        train.click()
        page.wait_for_function(IMAGES_CHANGED_JS, arg=[PLOTS, before], timeout=PLOTS_TIMEOUT_MS, polling=250)
        running = status_text(page)
        assert "Training" in running, f"status while training: {running!r}"
        assert train.is_disabled() and stop.is_enabled()

        step = "pressing Stop and waiting for the status to report the early stop"
        stop.click()
        final_status = re.compile(r"Stopped after [\d,]+ of|Done|failed")  # not "…: evaluating the learner"
        page.locator(".classroom-status", has_text=final_status).wait_for(timeout=STOP_TIMEOUT_MS)
        final = status_text(page)
        match = re.search(r"Stopped after ([\d,]+) of ([\d,]+) steps", final)
        assert match, f"the status does not report the early stop: {final!r}"
        steps, budget = (int(g.replace(",", "")) for g in match.groups())
        assert budget == BUDGET and 0 < steps < BUDGET, final
        assert "greedy return" in final, final

        step = "checking the animation and the page"
        page.locator(".classroom-animation img").first.wait_for(timeout=60_000)  # the learner's animation
        assert not page.evaluate(PAGE_PROBLEMS_JS), page.evaluate(PAGE_PROBLEMS_JS)
        assert train.is_enabled() and stop.is_disabled()
        shot = screenshot(page, "classroom_demo_voila")
        print(f"classroom demo: {final} (screenshot: {shot})")
    except Exception as exc:
        shot = screenshot(page, "classroom_demo_voila_failure")
        detail = f"{type(exc).__name__}: {str(exc)[:1500]}"
        extra = f"\npage errors: {page_errors[:5]}" if page_errors else ""
        failure = (
            f"notebooks/{DEMO.name} in Voilà, while {step}: {detail}{extra}\nscreenshot: {shot}\n"
            f"server log (tail):\n{demo_server.log_tail(1500)}"
        )
    finally:
        context.close()
    if failure:
        pytest.fail(failure, pytrace=False)
    assert file_hash(DEMO) == digest, f"notebooks/{DEMO.name} changed while the browser test ran it"
