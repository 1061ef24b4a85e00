"""A report as data: title, paragraphs, tables of plain values, figures, notes.

The pipeline builds a :class:`Report`; :mod:`mocap_seq2seq.report.render`
turns the one report into the terminal (rich), Markdown and HTML, each by one
renderer. A table is defined once, with its cells as plain values (strings,
ints, floats); how a float is written is the column's ``digits``.

A terminal is narrower than a page, so a column or a group of rows may say in
which *view* it is shown: :data:`TERMINAL` (the rich table) or
:data:`DOCUMENT` (Markdown and HTML). By default everything shows in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: The rich table printed to the terminal.
TERMINAL = "terminal"
#: The files: report.md and report.html.
DOCUMENT = "document"
#: Both views.
EVERYWHERE: frozenset[str] = frozenset({TERMINAL, DOCUMENT})

#: A table cell: a plain value; None is an empty cell.
Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`.

    Args:
        header: the column's name.
        align: ``"left"`` or ``"right"`` (right is also ``---:`` in Markdown).
        digits: decimals of float cells.
        views: where the column is shown (:data:`TERMINAL`, :data:`DOCUMENT`).
    """

    header: str
    align: Literal["left", "right"] = "left"
    digits: int = 3
    views: frozenset[str] = EVERYWHERE

    def format(self, value: Cell) -> str:
        """The text of one cell of this column."""
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.{self.digits}f}"
        return str(value)


@dataclass(frozen=True)
class RowGroup:
    """Rows shown together; the terminal draws a rule between groups.

    Args:
        rows: one tuple of cells per row, one cell per column of the table.
        emphasis: bold in the terminal (summary rows such as means).
        views: where the rows are shown.
    """

    rows: tuple[tuple[Cell, ...], ...]
    emphasis: bool = False
    views: frozenset[str] = EVERYWHERE


@dataclass(frozen=True)
class Table:
    """A table defined once and rendered by each renderer.

    Args:
        title: above the table (a ``##`` heading in Markdown).
        columns: the columns, in order.
        groups: the rows, in groups.
        caption: one line under the table in the terminal.
        notes: paragraphs under the table in documents.
        views: where the whole table is shown.
    """

    title: str
    columns: tuple[Column, ...]
    groups: tuple[RowGroup, ...]
    caption: str = ""
    notes: tuple[str, ...] = ()
    views: frozenset[str] = EVERYWHERE

    def __post_init__(self) -> None:
        for group in self.groups:
            for row in group.rows:
                if len(row) != len(self.columns):
                    raise ValueError(
                        f"A row of the table '{self.title}' has {len(row)} cells for "
                        f"{len(self.columns)} columns."
                    )

    def view(self, name: str) -> tuple[list[Column], list[tuple[RowGroup, list[list[str]]]]]:
        """The columns and the formatted rows of one view (empty when not shown there)."""
        if name not in self.views:
            return [], []
        keep = [index for index, column in enumerate(self.columns) if name in column.views]
        columns = [self.columns[index] for index in keep]
        groups = [
            (group, [[self.columns[i].format(row[i]) for i in keep] for row in group.rows])
            for group in self.groups
            if name in group.views and group.rows
        ]
        return columns, groups


def single_group_table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], **options: Any
) -> Table:
    """A :class:`Table` of one group of rows."""
    return Table(
        title=title,
        columns=tuple(columns),
        groups=(RowGroup(tuple(tuple(row) for row in rows)),),
        **options,
    )


@dataclass(frozen=True)
class Figure:
    """A figure of a report: PNG bytes, a file stem and a caption."""

    stem: str
    png: bytes
    caption: str


@dataclass(frozen=True)
class Report:
    """Everything a report shows, as data.

    Args:
        title: the page title.
        paragraphs: text under the title.
        tables: in order.
        figures: in order; written as ``figures/<stem>.png``.
        notes: paragraphs after ``paragraphs`` (remarks gathered on the way).
        summary: JSON-able results, written to ``summary.json``.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
