"""The two consoles of the command line: results on stdout, problems on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

console = Console()
error_console = Console(stderr=True)


def show_and_write(found: Any, folder: Path) -> None:
    """Say which animations were written, print a report's tables and write its folder.

    ``found`` is a :class:`mocap_seq2seq.pipeline.ReportResult`.
    """
    from mocap_seq2seq.report.render import print_report, write_report

    for path in found.animations:
        console.print(f"[green]Wrote[/] {path}")
    print_report(console, found.report)
    write_report(folder, found.report)
