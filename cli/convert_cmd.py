"""`mocap convert`: raw CMU files -> the toolkit's HDF5 files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from mocap_cli.console import console
from mocap_cli.options import Overwrite


def convert(
    source_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder laid out like the CMU release: actions/<split>/<action>/<action>_<n>.txt "
            "and subject86/{expmap,ground_truth}/.",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ],
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="Where to write cmu_actions.h5 and cmu_subject86.h5 "
            "\\[default: the clone's data/].",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Convert raw CMU takes and subject-86 trials into compressed, deterministic HDF5."""
    from mocap_seq2seq.paths import CLONE_ROOT
    from mocap_seq2seq.store import convert_cmu

    target = output_dir if output_dir is not None else CLONE_ROOT / "data"
    with console.status("Converting...") as status:
        written = convert_cmu(
            source_dir,
            target,
            overwrite=overwrite,
            progress=lambda name: status.update(f"Reading {name}"),
        )
    for path in written:
        size = path.stat().st_size / 1e6
        console.print(f"[green]Wrote[/] {path} ({size:.1f} MB)")
