"""Reading and writing the package's files: paths checked first, every artefact written atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from gail_helpers.checks import shown
from gail_helpers.errors import DataFileError


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
