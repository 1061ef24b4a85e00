"""Find the data/ and pretrained/ folders.

Order, first hit wins: an explicit folder (``--data-dir`` / ``--pretrained-dir``),
then an environment variable (``MOCAP_DATA_DIR`` / ``MOCAP_PRETRAINED_DIR``),
then the folders at the top of the clone this package was installed from in
editable mode (the README's quick start does that).
"""

from __future__ import annotations

import os
from pathlib import Path

from mocap_seq2seq.errors import DataFileError, ModelFileError

DATA_ENV = "MOCAP_DATA_DIR"
PRETRAINED_ENV = "MOCAP_PRETRAINED_DIR"
#: The clone's top level: the parent of the package folder.
CLONE_ROOT = Path(__file__).resolve().parent.parent


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the converted HDF5 files.

    Example:
    >>> resolve_data_dir().name
    'data'
    """
    return _resolve(explicit, DATA_ENV, CLONE_ROOT / "data", "data", "--data-dir", DataFileError)


def resolve_pretrained_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding pretrained models and their manifest."""
    return _resolve(
        explicit,
        PRETRAINED_ENV,
        CLONE_ROOT / "pretrained",
        "pretrained models",
        "--pretrained-dir",
        ModelFileError,
    )


def _resolve(
    explicit: str | os.PathLike[str] | None,
    variable: str,
    default: Path,
    what: str,
    option: str,
    error: type[DataFileError] | type[ModelFileError],
) -> Path:
    if explicit is not None:
        candidate, origin = Path(explicit), f"{option} '{explicit}'"
    elif os.environ.get(variable):
        candidate, origin = Path(os.environ[variable]), f"${variable} '{os.environ[variable]}'"
    else:
        candidate, origin = default, f"the clone's folder '{default}'"
    if not candidate.is_dir():
        raise error(
            f"No {what} folder: {origin} does not exist.",
            f"a folder passed with {option}, named by ${variable}, or the clone's {default.name}/",
            f"Pass {option} or set {variable}, "
            "or run from a clone installed with `pip install -e .`.",
        )
    return candidate
