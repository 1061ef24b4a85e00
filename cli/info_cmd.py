"""`mocap info`: what the data folder holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line
from mocap_cli.options import DataDir


def info(
    data_dir: DataDir = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="A file written by `mocap convert`: list its sequences, actions and takes.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the shipped actions (case i) and subject-86 trials (case ii), or a --data file."""
    from rich.table import Table
    from rich.text import Text

    from mocap_seq2seq.data.formats.cmu import ACTIONS_FRAME_RATE
    from mocap_seq2seq.data.store import catalogue

    if data is not None:
        _file_info(data)
        return

    found = catalogue(data_dir)
    console.print(line("Data folder: ", (str(found.data_dir), "bold")), soft_wrap=True)
    if found.takes:
        table = Table(
            title=f"Case (i): single-action takes (117 channels, read at "
            f"{ACTIONS_FRAME_RATE:g} fps, see README 'Data'; cmu_actions.h5)"
        )
        table.add_column("action")
        table.add_column("takes", justify="right")
        table.add_column("frames", justify="right")
        table.add_column("seconds", justify="right")
        table.add_column("frames per take")
        for action in found.actions:
            takes = found.takes[action]
            total = sum(n for _, n in takes)
            table.add_row(
                Text(action),
                str(len(takes)),
                f"{total:,}",
                f"{total / ACTIONS_FRAME_RATE:.1f}",
                ", ".join(f"#{take}: {n}" for take, n in takes),
            )
        console.print(table)
    if found.trials:
        table = Table(title="Case (ii): subject-86 trials (96 channels, 120 fps, cmu_subject86.h5)")
        table.add_column("trial")
        table.add_column("frames", justify="right")
        table.add_column("seconds", justify="right")
        table.add_column("segments", justify="right")
        table.add_column("actions", justify="right")
        table.add_column("action names")
        for trial, entry in found.trials.items():
            frames = (
                Text(f"{entry['n_frames']:,}")
                if entry["has_frames"]
                else Text("not available", style="dim")
            )
            names = list(entry["actions"])  # type: ignore[call-overload]
            rate = float(entry["frame_rate"])  # type: ignore[arg-type]
            table.add_row(
                Text(trial),
                frames,
                _seconds(int(entry["n_frames"]), rate if entry["has_frames"] else None),  # type: ignore[call-overload]
                str(entry["n_segments"]),
                str(len(names)),
                Text(", ".join(names)),
            )
        console.print(table)


def _file_info(path: object) -> None:
    """The sequences of one converted file, its skeleton and frame rates."""
    from rich.table import Table
    from rich.text import Text

    from mocap_seq2seq.data.store import read_sequence, read_skeleton, sequence_names

    names = sequence_names(path)  # type: ignore[arg-type]
    skeleton = read_skeleton(path)  # type: ignore[arg-type]
    console.print(
        line(
            (str(path), "bold"),
            f": {len(names)} sequences; skeleton: "
            + (f"{skeleton.n_joints} joints" if skeleton is not None else "none stored"),
        ),
        soft_wrap=True,
    )
    table = Table()
    numbers = ("frames", "seconds", "channels")
    for column in ("sequence", *numbers, "fps", "action / take", "labels"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for name in names:
        found = read_sequence(path, name, require_frames=False)  # type: ignore[arg-type]
        table.add_row(
            Text(name),
            Text(f"{found.n_frames:,}")
            if found.frames is not None
            else Text("not available", style="dim"),
            _seconds(found.n_frames, found.frame_rate if found.frames is not None else None),
            str(found.n_channels or "–"),
            f"{found.frame_rate:g}" if found.frame_rate else "–",
            Text(f"{found.action} #{found.take}")
            if found.action and found.take is not None
            else "–",
            Text(", ".join(found.action_names)) if found.labels is not None else "–",
        )
    console.print(table)


def _seconds(n_frames: int, frame_rate: float | None) -> str:
    """A length in seconds, to 0.1 s; "–" without frames or a known rate."""
    from mocap_seq2seq.units import frames_to_seconds

    if not frame_rate or frame_rate != frame_rate:  # None, or NaN
        return "–"
    return f"{frames_to_seconds(n_frames, frame_rate):,.1f}"
