"""Options shared by several commands, defined once as ``Annotated`` aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder with the converted HDF5 files "
        "\\[default: $MOCAP_DATA_DIR, else the clone's data/].",
        show_default=False,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (windows, initial weights).")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace outputs that already exist.")]
Trial = Annotated[
    str | None,
    typer.Option(
        "--trial", help="Subject-86 trial, e.g. 01 (see `mocap info`).", show_default=False
    ),
]
Actions = Annotated[
    str | None,
    typer.Option(
        "--actions",
        help="Case (i): comma-separated actions to concatenate, e.g. walking,running.",
        show_default=False,
    ),
]
