"""Every notebook, run in JupyterLab in a real (headless) browser.

Widgets that work in the kernel can still fail in the page ("Error displaying widget: model not
found" when ipywidgets and the JupyterLab widget manager disagree, a blank plot, a slider that
does nothing).  For each ``notebooks/*.ipynb`` this test starts from a temporary copy (the
notebook files are never touched: their hashes are checked), opens it in JupyterLab, runs all
cells, and asserts:

* every code cell ran, with no error output (cells tagged ``raises-exception`` may raise);
* every widget output rendered as widgets (DOM widget elements), not as a text repr such as
  ``VBox(children=...)`` and not as "Error displaying widget";
* every image output (plots) is an image the browser decoded;
* moving one control of a hyperparameter panel and re-running the cell after it changes that
  cell's result (or the next one's): see ``INTERACTIONS``.

A failure names the notebook and the cell (its index in the notebook, counting markdown cells, and
its first line), and saves a screenshot under ``test-artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_harness import Server, file_hash, jupyter_lab, notebook_paths, screenshot

RUN_ALL_TIMEOUT_S = 900  # a notebook takes up to ~90 s on 2 cores; a loaded machine is slower
RERUN_TIMEOUT_S = 300
WIDGET_RENDER_TIMEOUT_S = 60


@dataclass(frozen=True)
class Interaction:
    """Move one control of the panel whose header contains ``header``; re-run the cell after it.

    The control is found by its label (the config field's name) and set to ``value`` as a user
    would: typed into a slider's readout or a number box, or chosen in a dropdown.  Then the code
    cells after the panel are re-run one by one, at most ``max_cells`` of them, until one's
    result (text and images; not widgets or stderr) differs from before: ``expect`` says which.
    Pick the cheapest meaningful change (a smaller budget re-trains faster).
    """

    header: str
    control: str
    value: str
    expect: str
    max_cells: int = 2


# Per notebook (keyed by its number, so titles may change): which control, and what must change.
# A notebook with a "… hyperparameters" panel needs an entry; None means no interaction here.
INTERACTIONS: dict[str, Interaction | None] = {
    "00": Interaction("PPO hyperparameters", "total_steps", "20000", "the printed config (next cell)"),
    "01": Interaction("Gridworld hyperparameters", "gamma", "0.5", "the value heatmap image"),
    "02": Interaction("PPO hyperparameters", "total_steps", "5000", "the return plot after the training cell"),
    "03": Interaction("Behaviour cloning hyperparameters", "epochs", "2", "the printed 'trained for N epochs'"),
    "04": Interaction("MaxEnt IRL hyperparameters", "iterations", "5", "the claims/plots of the recovered reward",
                      max_cells=3),
    "05": Interaction("GAIL hyperparameters", "ppo.total_steps", "5000", "the printed iterations and env steps"),
    "06": Interaction("GAIL hyperparameters", "ppo.total_steps", "5000", "the return plot of the four runs"),
    "07": Interaction("GAIL hyperparameters", "ppo.total_steps", "5000", "the bar chart of returns per demo count"),
    "08": Interaction("GAIL hyperparameters", "ppo.total_steps", "5000",
                      "the fresh learner's return plot (on a D trained for 5 000 steps)"),
    "09": Interaction("GAIL on MountainCar", "ppo.total_steps", "5000",
                      "the return plot and flag shares of the three reward forms"),
    # The demo's panel only matters once Train is pressed: tests/browser/test_classroom_demo_in_voila.py
    "classroom_demo": None,
}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
TEXT_REPR = re.compile(r"^\s*\w+\((children|value|description|layout)=", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def interaction_key(notebook: Path) -> str:
    """``02_ppo.ipynb`` -> ``"02"``; a notebook without a number -> its stem."""
    head = notebook.stem.split("_", 1)[0]
    return head if head.isdigit() else notebook.stem


class CellFailure(AssertionError):
    """A check failed at one cell (``index`` None: not at a particular cell)."""

    def __init__(self, index: int | None, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


# ---- JavaScript run in the page (window.jupyterapp is exposed by --LabApp.expose_app_in_browser)

OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  await app.restored;
  const panel = await app.commands.execute('docmanager:open',
      {path, factory: 'Notebook', kernel: {name: 'python3'}});
  window.__nb = panel;
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.revealed;
  app.shell.activateById(panel.id);
  if (!app.shell.leftCollapsed) { app.shell.collapseLeft(); }  // more room for the screenshots
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return kernel ? kernel.name : null;
}
"""

KERNEL_IDLE_JS = """
() => {
  const s = window.__nb && window.__nb.sessionContext.session;
  return !!(s && s.kernel && s.kernel.connectionStatus === 'connected' && s.kernel.status === 'idle');
}
"""

# Start a command without awaiting it (page.evaluate has no timeout); wait_for_function polls.
RUN_JS = """
(index) => {
  const app = window.jupyterapp, panel = window.__nb;
  app.shell.activateById(panel.id);
  window.__run = null;
  let command = 'notebook:run-all-cells';
  if (index !== null) {
    panel.content.activeCellIndex = index;
    panel.content.deselectAll();
    command = 'notebook:run-cell';
  }
  app.commands.execute(command).then(
    (ok) => { window.__run = {ok: ok === true || ok === undefined, value: String(ok)}; },
    (err) => { window.__run = {ok: false, value: String(err)}; });
}
"""

REPORT_JS = """
() => {
  const panel = window.__nb;
  return panel.content.widgets.map((cell, i) => {
    cell.node.dataset.testCell = String(i);
    const m = cell.model;
    const tags = (m.getMetadata ? m.getMetadata('tags') : (m.metadata && m.metadata.tags)) || [];
    const out = {index: i, type: m.type, source: m.sharedModel.getSource(), tags,
                 execution_count: null, outputs: [], dom: []};
    if (m.type !== 'code') return out;
    out.execution_count = m.executionCount;
    out.outputs = m.outputs.toJSON();
    const children = cell.outputArea ? cell.outputArea.widgets : [];
    out.dom = Array.from(children).map((w) => ({
      text: (w.node.innerText || '').slice(0, 4000),
      widgets: w.node.querySelectorAll('.jupyter-widgets').length,
      images: Array.from(w.node.querySelectorAll('img')).map(
        (img) => ({loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth})),
    }));
    return out;
  });
}
"""

SCROLL_JS = """
(index) => {
  const cell = window.__nb && window.__nb.content.widgets[index];
  if (cell) { window.__nb.content.activeCellIndex = index; cell.node.scrollIntoView({block: 'start'}); }
}
"""

SHUTDOWN_JS = "async () => { if (window.__nb) { await window.__nb.sessionContext.shutdown(); } }"


# ---- fixtures


@pytest.fixture(scope="module")
def lab(served_notebooks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """JupyterLab on loopback serving the temporary copy; stopped at the end (also on failure)."""
    with jupyter_lab(served_notebooks, tmp_path_factory.mktemp("lab")) as server:
        yield server


# ---- checks


def first_line(cell: dict[str, Any]) -> str:
    lines = [line for line in cell["source"].splitlines() if line.strip()]
    return lines[0].strip()[:100] if lines else "(empty)"


def error_text(output: dict[str, Any]) -> str:
    trace = ANSI.sub("", "\n".join(output.get("traceback", [])[-3:]))
    return f"{output.get('ename')}: {output.get('evalue')}\n{trace}".strip()


def check_cell(cell: dict[str, Any]) -> None:
    """Raise CellFailure if this code cell did not run, or errored, or rendered something wrongly."""
    if cell["type"] != "code" or not cell["source"].strip():
        return
    where = cell["index"]
    if cell["execution_count"] is None:
        raise CellFailure(where, "the cell did not run (an earlier cell failed, or run-all stopped)")
    for output in cell["outputs"]:
        if output["output_type"] == "error" and "raises-exception" not in cell["tags"]:
            raise CellFailure(where, f"error output:\n{error_text(output)}")
        if output["output_type"] == "stream" and output.get("name") == "stderr" and "Traceback" in output["text"]:
            raise CellFailure(where, f"a traceback on stderr:\n{output['text'][-1500:]}")
    if len(cell["dom"]) != len(cell["outputs"]):
        raise CellFailure(where, f"{len(cell['outputs'])} outputs in the model but {len(cell['dom'])} in the page")
    for output, dom in zip(cell["outputs"], cell["dom"], strict=True):
        data = output.get("data", {})
        if "Error displaying widget" in dom["text"]:
            raise CellFailure(where, f"the page shows: {dom['text'][:300]!r}")
        if WIDGET_MIME in data:
            if dom["widgets"] == 0:
                shown = dom["text"][:300] or "nothing (blank)"
                raise CellFailure(where, f"a widget output rendered no widget elements; the page shows {shown!r}")
            if TEXT_REPR.search(dom["text"]):
                raise CellFailure(where, f"a widget shows as its text repr: {dom['text'][:300]!r}")
        elif TEXT_REPR.search(dom["text"]) and re.search(r"\b[HV]Box\(|Slider\(|Dropdown\(", dom["text"]):
            raise CellFailure(where, f"a widget was printed as text instead of displayed: {dom['text'][:300]!r}")
        if any(m in data for m in IMAGE_MIMES):
            if not dom["images"] or not all(img["loaded"] for img in dom["images"]):
                raise CellFailure(where, f"an image output did not render as a loaded image: {dom['images']}")
        elif str(data.get("text/plain", "")).startswith("<Figure size"):
            raise CellFailure(where, f"a figure shows as text, not as an image: {data['text/plain']!r}")


def result_signature(cell: dict[str, Any]) -> list[str]:
    """What a cell computed, as the learner sees it: text and images (not widgets, not stderr)."""
    parts = []
    for output in cell["outputs"]:
        kind = output["output_type"]
        if kind == "stream":
            if output.get("name") != "stderr":
                parts.append("stream:" + output["text"])
        elif kind in ("execute_result", "display_data"):
            if WIDGET_MIME in output.get("data", {}):
                continue  # a widget (e.g. a progress bar); its text/plain is only the fallback repr
            for mime, value in sorted(output.get("data", {}).items()):
                text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                parts.append(f"{mime}:{hashlib.sha256(text.encode()).hexdigest()}")
        elif kind == "error":
            parts.append("error:" + output.get("evalue", ""))
    return parts


# ---- driving the page


def wait_run(page, timeout_s: float) -> dict[str, Any]:
    page.wait_for_function("() => window.__run !== null", timeout=timeout_s * 1000, polling=500)
    return page.evaluate("() => window.__run")


def report_when_rendered(page) -> list[dict[str, Any]]:
    """The cells' report once every widget output has rendered (or shows an error)."""
    deadline = time.monotonic() + WIDGET_RENDER_TIMEOUT_S
    while True:
        report = page.evaluate(REPORT_JS)
        pending = [
            c["index"] for c in report for o, d in zip(c["outputs"], c["dom"], strict=False)
            if WIDGET_MIME in o.get("data", {}) and d["widgets"] == 0 and not d["text"].strip()
        ]
        images_pending = [
            c["index"] for c in report for d in c["dom"] for img in d["images"] if not img["loaded"]
        ]
        if (not pending and not images_pending) or time.monotonic() > deadline:
            return report
        time.sleep(1)


def set_control(page, cell_index: int, spec: Interaction) -> str:
    """Set the control as a user would; returns what the control shows afterwards."""
    cell = page.locator(f'[data-test-cell="{cell_index}"]')
    panel = cell.locator(".widget-vbox").filter(has_text=spec.header).last
    label = page.locator("label.widget-label", has_text=re.compile(rf"^\s*{re.escape(spec.control)}\s*$"))
    row = panel.locator(".widget-inline-hbox").filter(has=label).first
    if row.count() == 0:
        raise CellFailure(cell_index, f"the panel {spec.header!r} has no control labelled {spec.control!r}")
    row.scroll_into_view_if_needed()
    if row.locator("select").count():
        row.locator("select").select_option(label=spec.value)
        return row.locator("select").input_value()
    if row.locator(".widget-readout").count():  # sliders: type into the editable readout
        readout = row.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(spec.value)
        page.keyboard.press("Enter")
        return readout.inner_text()
    box = row.locator("input").first
    box.fill(spec.value)
    box.press("Enter")
    box.blur()
    return box.input_value()


def interact(page, report: list[dict[str, Any]], spec: Interaction) -> str:
    """Move the control, re-run the cells after the panel until a result changes; describe it."""
    panel = next(
        (c for c in report if c["type"] == "code" and any(spec.header in d["text"] for d in c["dom"])), None
    )
    if panel is None:
        raise CellFailure(None, f"no widget panel with the header {spec.header!r} (update INTERACTIONS)")
    after = [c for c in report if c["type"] == "code" and c["index"] > panel["index"] and c["source"].strip()]
    after = after[: spec.max_cells]
    if not after:
        raise CellFailure(panel["index"], "no code cell after the panel to re-run")
    shown = set_control(page, panel["index"], spec)
    if spec.value not in shown and shown.replace(",", "") != spec.value:
        # a readout formats the number (e.g. 1.0e-3); accept when it parses to the same value
        try:
            same = float(shown.replace(",", "")) == float(spec.value)
        except ValueError:
            same = False
        if not same:
            raise CellFailure(panel["index"], f"set {spec.control} to {spec.value!r} but the control shows {shown!r}")
    time.sleep(0.5)  # the widget's comm message is sent; the kernel handles it before the execute request
    for cell in after:
        before = result_signature(cell)
        page.evaluate(RUN_JS, cell["index"])
        run = wait_run(page, RERUN_TIMEOUT_S)
        new = report_when_rendered(page)[cell["index"]]
        check_cell(new)
        if not run["ok"]:
            raise CellFailure(cell["index"], f"re-running the cell failed ({run['value']})")
        if result_signature(new) != before:
            return f"{spec.control} -> {shown}: cell {cell['index']} ({first_line(cell)}) changed"
    raise CellFailure(
        after[0]["index"],
        f"setting {spec.control} to {spec.value} in {spec.header!r} and re-running the {len(after)} cell(s) "
        f"after the panel changed no result (expected: {spec.expect})",
    )


def shutdown_kernels(server: Server) -> None:
    """Delete every session of the test server (a fallback when the page could not do it)."""
    base = f"{server.url}/api/sessions"
    headers = {"Authorization": f"token {server.token}"}
    try:
        with urllib.request.urlopen(urllib.request.Request(base, headers=headers), timeout=10) as response:
            sessions = json.load(response)
        for session in sessions:
            request = urllib.request.Request(f"{base}/{session['id']}", method="DELETE", headers=headers)
            urllib.request.urlopen(request, timeout=30).close()
    except OSError:
        pass


# ---- the test


@pytest.mark.parametrize("notebook", notebook_paths(), ids=lambda p: p.name)
def test_notebook_in_jupyterlab(notebook: Path, browser, lab: Server) -> None:
    digest = file_hash(notebook)
    shutil.copy2(notebook, lab.root / notebook.name)  # the copy as it is now (others may edit)
    key = interaction_key(notebook)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    started = time.monotonic()
    report: list[dict[str, Any]] = []
    failure = ""
    try:
        page.goto(f"{lab.url}/lab?reset&token={lab.token}", wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
        kernel = page.evaluate(OPEN_JS, notebook.name)
        if kernel is None:
            raise CellFailure(None, "the notebook opened without a kernel (is its kernelspec `python3`?)")
        page.wait_for_function(KERNEL_IDLE_JS, timeout=120_000, polling=500)
        page.evaluate(RUN_JS, None)
        run = wait_run(page, RUN_ALL_TIMEOUT_S)
        report = report_when_rendered(page)
        for cell in report:
            check_cell(cell)
        if not run["ok"]:
            raise CellFailure(None, f"run-all did not complete ({run['value']})")
        ran = time.monotonic() - started
        spec = INTERACTIONS.get(key)
        has_panel = any("hyperparameters" in d["text"] and d["widgets"] for c in report for d in c["dom"])
        if key not in INTERACTIONS and has_panel:
            raise CellFailure(None, f"the notebook has a hyperparameter panel: add an entry {key!r} to INTERACTIONS")
        done = interact(page, report, spec) if spec is not None else "no interaction"
        panel = next((c["index"] for c in report if any("hyperparameters" in d["text"] for d in c["dom"])), None)
        if panel is not None:  # evidence for a person: the panel after the interaction
            page.evaluate(SCROLL_JS, panel)
            screenshot(page, f"{notebook.stem}-panel")
        print(f"{notebook.name}: ran all cells in {ran:.0f} s; {done}; total {time.monotonic() - started:.0f} s")
    except Exception as exc:  # turned into one message naming the notebook and the cell
        failure = describe_failure(exc, notebook, report, page, page_errors, lab)
    finally:
        try:
            page.evaluate(SHUTDOWN_JS)
        except Exception:
            shutdown_kernels(lab)
        context.close()
    if failure:
        pytest.fail(failure, pytrace=False)
    assert file_hash(notebook) == digest, (
        f"notebooks/{notebook.name} changed while the browser test ran it (the test works on a temporary copy)"
    )


def describe_failure(exc: Exception, notebook: Path, report: list[dict[str, Any]], page, page_errors: list[str],
                     lab: Server) -> str:
    """The failure message (notebook, cell index and first line, what failed), after a screenshot."""
    index = exc.index if isinstance(exc, CellFailure) else None
    if index is not None:
        with contextlib.suppress(Exception):
            page.evaluate(SCROLL_JS, index)
    shot = screenshot(page, notebook.stem)
    cell = next((c for c in report if c["index"] == index), None) if index is not None else None
    where = f" cell {index} ({first_line(cell)!r})" if cell else (f" cell {index}" if index is not None else "")
    detail = exc.message if isinstance(exc, CellFailure) else f"{type(exc).__name__}: {exc}"
    extra = f"\npage errors: {page_errors[:5]}" if page_errors else ""
    log = [line for line in lab.log_tail(20_000).splitlines() if re.match(r"\[[EWC] |Traceback|\w+Error", line)]
    log_text = "\n".join(log[-15:])
    return f"notebooks/{notebook.name}{where}: {detail}{extra}\nscreenshot: {shot}\nserver warnings/errors:\n{log_text}"
