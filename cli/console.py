"""The two consoles of the command line: results on stdout, problems on stderr.

Text from the user (paths, joint, sequence and action names, labels) is never
read as rich markup: a line mixing styles with such text is a
:class:`rich.text.Text` (:func:`line`), so ``[/x]`` or ``[bold]`` in a name is
printed as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

console = Console()
error_console = Console(stderr=True)


def line(*parts: str | tuple[str, str]) -> Text:
    """One line of plain strings and ``(text, style)`` pairs, none of it read as markup.

    Example:
    >>> line(("Wrote", "green"), " cl[/x]").plain
    'Wrote cl[/x]'
    """
    return Text.assemble(*parts)


def show_and_write(found: Any, folder: Path) -> None:
    """Say which animations were written, print a report's tables and write its folder.

    ``found`` is a :class:`mocap_seq2seq.pipeline.ReportResult`.
    """
    from mocap_seq2seq.report.render import print_report, write_report

    for path in found.animations:
        console.print(line(("Wrote", "green"), f" {path}"))
    print_report(console, found.report)
    write_report(folder, found.report)
