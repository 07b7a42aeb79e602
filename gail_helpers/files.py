"""Reading and writing the package's files: paths checked first, every artefact written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from gail_helpers.checks import shown
from gail_helpers.errors import DataFileError, InputError


def as_path(name: str, path: Any) -> Path:
    """``path`` (a str or a ``pathlib.Path``) as a Path, or :class:`DataFileError`."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise DataFileError(f"{name} must be a file name (a str or a pathlib.Path), got {shown(path)}")
    return Path(path)


def file_to_read(path: Path, what: str) -> Path:
    """``path`` if it is an existing file; else :class:`DataFileError` saying whether it is missing or a folder."""
    if path.is_dir():
        raise DataFileError(f"{what} {path} is a folder, not a file")
    if not path.is_file():
        raise DataFileError(f"{what} {path} does not exist")
    return path


def file_to_write(name: str, path: Any, suffix: str, writer: str) -> Path:
    """The path ``writer`` may write: named ``*<suffix>``, in an existing folder, not a folder itself.

    Nothing is renamed behind the caller's back: a wrong suffix is refused, not appended or replaced.
    """
    path = as_path(name, path)
    if path.suffix != suffix:
        raise DataFileError(f"{writer} writes a {suffix} file: got {str(path)!r}, use a name ending in {suffix}")
    if path.is_dir():
        raise DataFileError(f"{writer} cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise DataFileError(f"{writer} cannot write {path}: the folder {path.parent} does not exist")
    return path


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into a temporary file beside ``path``, then rename it over ``path``: a reader
    never sees half a file, and an error leaves the old file as it was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_weights(state: dict[str, torch.Tensor], path: Path, meta: dict[str, Any], writer: str) -> None:
    """A network on disk: ``path`` (``.pt``, a plain state_dict) and beside it ``.json`` metadata.

    ``meta`` may hold JSON values, numpy numbers and arrays.  Each file is written whole or not at
    all, and nothing is written unless both can be.
    """
    try:
        text = json.dumps(meta, indent=2, sort_keys=True, default=_plain, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise InputError(f"{writer}'s info must be JSON values (numbers, str, lists, dicts): {exc}") from None
    write_atomically(path, lambda f: torch.save(state, f))
    write_atomically(path.with_suffix(".json"), lambda f: f.write(text.encode()))


def _plain(value: object) -> object:
    """numpy numbers and arrays as JSON values (json.dumps' ``default``)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_weights(path: Any, what: str, reader: str, writer: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read the ``what`` (e.g. "policy") :func:`save_weights` wrote: (state_dict, metadata), or :class:`DataFileError`.

    Weights are read with ``torch.load(weights_only=True)``: tensors only, no pickled code; NaN or
    infinite weights are refused.  The caller checks that the metadata fits its network.
    """
    path = as_path("path", path)
    if path.suffix != ".pt":
        raise DataFileError(f"{reader} reads a .pt file written by {writer} (with a .json beside it), got "
                            f"{str(path)!r}")
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if p.is_dir():
            raise DataFileError(f"{what} file {p} is a folder, not a file")
        if not p.is_file():
            raise DataFileError(f"{what} file {p} is missing: {writer} writes both {path.name} and {meta_path.name}")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise DataFileError(f"{meta_path} is not {what} metadata written by {writer}: {exc!r}") from exc
    if not isinstance(meta, dict):
        raise DataFileError(f"{meta_path} is not {what} metadata written by {writer}: it holds a {type(meta).__name__}")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises several types for corrupt or pickled-code files
        raise DataFileError(
            f"{path} is not a plain-tensor state_dict, so it is refused (loaded with weights_only=True); "
            "regenerate the shipped files with `python -m gail_helpers.experts`"
        ) from exc
    if not isinstance(state, dict):
        raise DataFileError(f"{path} holds a {type(state).__name__}, expected a state_dict")
    broken = [k for k, v in state.items() if not (isinstance(v, torch.Tensor) and torch.isfinite(v).all())]
    if broken:
        raise DataFileError(f"{path} has NaN, infinite or non-tensor weights in {broken}: regenerate or retrain it")
    return state, meta
