"""Re-check every claim of the notebooks on other seeds and other float kernels (``make claims``).

    python -m gail_helpers.claims_check                        # every notebook, every variant
    python -m gail_helpers.claims_check --notebooks 05_gail --variants seed-set-1 kernels-default

Each variant executes the notebooks in a fresh kernel, in a temporary copy (the committed files are
never touched), with one environment change:

* ``seed-set-K``: ``GAIL_HELPERS_SEED_SET=K`` makes every training run draw other random numbers,
  as if every seed were another one (:mod:`gail_helpers.seeding`);
* ``kernels-default`` / ``kernels-avx2``: ``ATEN_CPU_CAPABILITY`` forces torch's scalar or AVX2
  kernels, which change the last bits of the arithmetic the way another CPU does.

It prints one JSON line per (notebook, claim) with its mark in the committed notebook and the
variants in which it held or failed, then a summary line; it exits 0 only when every claim printed
its committed mark in every variant (00's deliberately false example claim stays ✗).
Not part of the test suite: it takes several times the series' run time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
VARIANTS: dict[str, dict[str, str]] = {
    "as-committed": {},
    "seed-set-1": {"GAIL_HELPERS_SEED_SET": "1"},
    "seed-set-2": {"GAIL_HELPERS_SEED_SET": "2"},
    "seed-set-3": {"GAIL_HELPERS_SEED_SET": "3"},
    "kernels-default": {"ATEN_CPU_CAPABILITY": "default"},
    "kernels-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
}
CLAIM = re.compile(r"^(✓|✗ NOT) (.+)$")


def claims_in(notebook: Path) -> list[tuple[str, bool]]:
    """(claim text, held) for every ``claim`` line printed in an executed notebook."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                match = CLAIM.match(line)
                if match:
                    found.append((match.group(2), match.group(1) == "✓"))
    return found


def execute(notebook: Path, env_changes: dict[str, str], out_dir: Path) -> Path | str:
    """Execute a copy of ``notebook`` with ``env_changes``; the executed copy, or the error text."""
    out = out_dir / notebook.name
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=900", "--output", str(out), str(notebook)]
    done = subprocess.run(command, env={**os.environ, **env_changes}, capture_output=True, text=True,
                          cwd=notebook.parent)
    return out if done.returncode == 0 else done.stderr.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    """Command line; prints JSON lines and returns 0 when every claim held in every variant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    parser.add_argument("--notebooks", nargs="+", choices=names, default=names)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    held: dict[tuple[str, str], list[str]] = {}
    failed: dict[tuple[str, str], list[str]] = {}
    committed = {(name, text): ok for name in args.notebooks for text, ok in claims_in(NOTEBOOKS / f"{name}.ipynb")}
    errors = []
    for variant in args.variants:
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.notebooks:
                result = execute(NOTEBOOKS / f"{name}.ipynb", VARIANTS[variant], Path(tmp))
                if isinstance(result, str):
                    errors.append({"notebook": name, "variant": variant, "error": result})
                    print(json.dumps(errors[-1]), flush=True)
                    continue
                for text, ok in claims_in(result):
                    (held if ok else failed).setdefault((name, text), []).append(variant)
    claims = sorted(set(held) | set(failed) | set(committed))
    moved = []  # claims whose mark in some variant differs from the committed notebook's
    for key in claims:
        mark = {True: "✓", False: "✗", None: "missing"}[committed.get(key)]
        line = {"notebook": key[0], "claim": key[1], "committed": mark,
                "held_in": held.get(key, []), "failed_in": failed.get(key, [])}
        expected = held if committed.get(key, True) else failed
        if len(expected.get(key, [])) != len(args.variants):
            moved.append(key)
        print(json.dumps(line, ensure_ascii=False))
    summary = {"summary": True, "variants": args.variants, "claims": len(claims),
               "same_mark_as_committed_in_every_variant": len(claims) - len(moved), "notebook_errors": len(errors)}
    print(json.dumps(summary))
    return 0 if not moved and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
