"""Shared pieces of the browser tests: finding Chromium, starting JupyterLab / Voilà on loopback.

The tests drive a real headless Chromium with Playwright's Python package.  Without Chromium or
without the ``playwright`` package they are skipped with a message saying how to enable them,
except under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# BROWSER_TEST_NOTEBOOKS: another folder of notebooks, for developing the harness itself
NOTEBOOKS = Path(os.environ.get("BROWSER_TEST_NOTEBOOKS", ROOT / "notebooks"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"

# Exactly these flags: no GPU, no sandbox (root in a container), and no traffic of Chromium's own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOW_TO_ENABLE = (
    "enable them with `apt-get install chromium` (Debian/Ubuntu; any Chromium on PATH as `chromium` works) "
    "and `.venv/bin/pip install -c constraints.txt playwright` (`make` installs it with the test extra). "
    "Never run `playwright install`: the tests use the system Chromium."
)


def in_ci() -> bool:
    """True under CI (``CI=true``), where the browser tests must run, not skip."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip on a learner's machine; fail under CI."""
    message = f"browser tests: {reason}; {HOW_TO_ENABLE}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: the browser tests may not be skipped)", pytrace=False)
    pytest.skip(message)


def find_chromium() -> str | None:
    """The system Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_paths() -> list[Path]:
    """Every notebook of the course, in order (read at collection time)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


# JupyterLab settings for the test server (a private settings directory, so a learner's own
# settings neither leak in nor get changed): every cell attached to the DOM, so the test can
# inspect every output; no news/update pop-ups (and no request for them).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


@dataclass
class Server:
    """A JupyterLab or Voilà server this test session started (and will stop)."""

    process: subprocess.Popen
    url: str
    token: str
    log: Path
    root: Path

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for failure messages."""
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


def _private_jupyter_dirs(base: Path) -> dict[str, str]:
    """Environment variables giving the server its own config, runtime, settings and workspace dirs."""
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
        "IPYTHONDIR": base / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for rel, values in LAB_SETTINGS.items():
        target = dirs["JUPYTERLAB_SETTINGS_DIR"] / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update({k: str(v) for k, v in dirs.items()})
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


def _wait_until_up(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"{server.url}{path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with code {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            if not server.token:
                return  # any HTTP answer: the server is up (Voilà has no cheap status URL)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server at {server.url} did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL its process group."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # kernels run in the server's process group: make sure none is left behind
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def _running(cmd: list[str], root: Path, base: Path, url: str, token: str, ready_path: str) -> Iterator[Server]:
    env = _private_jupyter_dirs(base)
    log = base / "server.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopping it also stops its kernels
        )
    server = Server(process, url, token, log, root)
    try:
        _wait_until_up(server, ready_path, timeout=120)
        yield server
    finally:
        stop_server(server)


@contextlib.contextmanager
def jupyter_lab(root: Path, base: Path) -> Iterator[Server]:
    """JupyterLab on 127.0.0.1 (a free port, a random token), serving ``root``."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the test drives its commands
        "--ServerApp.shutdown_no_activity_timeout=1800",  # a safety net if pytest is killed hard
        "--MappingKernelManager.cull_idle_timeout=0",
        "--LabApp.news_url=",
        "--ServerApp.allow_root=True",  # CI and containers run as root; the server is on loopback only
    ]
    url = f"http://127.0.0.1:{port}"
    with _running(cmd, root, base, url, token, f"/api/status?token={token}") as server:
        yield server


@contextlib.contextmanager
def voila(notebook: Path, base: Path) -> Iterator[Server]:
    """Voilà on 127.0.0.1 (a free port) serving one notebook, tracebacks shown in the page."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "voila", notebook.name, "--no-browser",
        "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
        "--show_tracebacks=True",
    ]
    url = f"http://127.0.0.1:{port}"
    # Voilà executes the notebook per page request: probe a static path (a 404 is an answer) instead.
    with _running(cmd, notebook.parent, base, url, "", "/voila/static/") as server:
        yield server


def screenshot(page, name: str) -> Path | None:
    """Save a screenshot under test-artifacts/browser/ (git-ignored); None if the page is gone."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True, timeout=30_000)
    except Exception:  # the page or browser may already be closed; the assertion says the rest
        return None
    return path
