"""`mocap info`: what the data folder holds."""

from __future__ import annotations

from mocap_cli.console import console
from mocap_cli.options import DataDir


def info(data_dir: DataDir = None) -> None:
    """List the shipped actions (case i) and subject-86 trials (case ii)."""
    from rich.table import Table

    from mocap_seq2seq.store import catalogue

    found = catalogue(data_dir)
    console.print(f"Data folder: [bold]{found.data_dir}[/]")
    if found.takes:
        table = Table(title="Case (i): single-action takes (117 channels, cmu_actions.h5)")
        table.add_column("action")
        table.add_column("takes", justify="right")
        table.add_column("frames", justify="right")
        table.add_column("frames per take")
        for action in found.actions:
            takes = found.takes[action]
            table.add_row(
                action,
                str(len(takes)),
                f"{sum(n for _, n in takes):,}",
                ", ".join(f"#{take}: {n}" for take, n in takes),
            )
        console.print(table)
    if found.trials:
        table = Table(title="Case (ii): subject-86 trials (96 channels, 120 fps, cmu_subject86.h5)")
        table.add_column("trial")
        table.add_column("frames", justify="right")
        table.add_column("segments", justify="right")
        table.add_column("actions", justify="right")
        table.add_column("action names")
        for trial, entry in found.trials.items():
            frames = f"{entry['n_frames']:,}" if entry["has_frames"] else "[dim]not available[/]"
            names = list(entry["actions"])  # type: ignore[call-overload]
            table.add_row(
                trial, frames, str(entry["n_segments"]), str(len(names)), ", ".join(names)
            )
        console.print(table)
