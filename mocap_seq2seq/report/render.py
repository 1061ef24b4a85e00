"""Rendering, last: a :class:`~mocap_seq2seq.report.model.Report` to terminal, Markdown, HTML.

One renderer per medium, each drawing every table of the report model the
same way: :func:`rich_table` (the terminal's view of a table),
:func:`markdown_table` and :func:`html_table` (the documents' view).
:func:`write_report` writes a report folder. This is the only module of the
library that uses rich; nothing here computes a score.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table as RichTable
from rich.text import Text

from mocap_seq2seq.atomic import write_bytes, write_json, write_text
from mocap_seq2seq.report.model import DOCUMENT, TERMINAL, Report, Table
from mocap_seq2seq.report.tables import evaluation_tables
from mocap_seq2seq.segment.evaluation import Evaluation

# ----------------------------------------------------------------------------- tables


def rich_table(table: Table) -> RichTable | None:
    """The terminal's view of a table (None when the table is for documents only).

    Every title, header and cell is a :class:`rich.text.Text`: sequence and
    action names, labels and paths are shown as they are, never read as markup.
    """
    columns, groups = table.view(TERMINAL)
    if not columns:
        return None
    rendered = RichTable(title=Text(table.title) if table.title else None)
    for column in columns:
        rendered.add_column(Text(column.header), justify=column.align)
    for index, (group, rows) in enumerate(groups):
        if index:
            rendered.add_section()
        for row in rows:
            rendered.add_row(
                *(Text(cell) for cell in row), style="bold" if group.emphasis else None
            )
    if table.caption:
        rendered.caption = Text(table.caption)
    return rendered


def markdown_table(table: Table) -> str:
    """The documents' view of a table as GitHub Markdown ("" for a terminal-only table)."""
    columns, groups = table.view(DOCUMENT)
    if not columns:
        return ""
    lines = [f"## {table.title}", ""] if table.title else []
    lines += [
        "| " + " | ".join(column.header for column in columns) + " |",
        "|" + "".join("---:|" if column.align == "right" else "---|" for column in columns),
    ]
    lines += ["| " + " | ".join(row) + " |" for _, rows in groups for row in rows]
    for note in table.notes:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def html_table(table: Table) -> str:
    """The documents' view of a table as an HTML fragment with inline styles."""
    columns, groups = table.view(DOCUMENT)
    if not columns:
        return ""
    cell = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:{}"
    parts = []
    if table.title:
        parts.append(f"<h2>{html.escape(table.title)}</h2>")
    parts.append('<table style="border-collapse:collapse;font-size:14px">')
    parts.append(
        "<tr>"
        + "".join(
            f'<th style="{cell.format(column.align)}">{html.escape(column.header)}</th>'
            for column in columns
        )
        + "</tr>"
    )
    for group, rows in groups:
        weight = ";font-weight:bold" if group.emphasis else ""
        for row in rows:
            parts.append(
                "<tr>"
                + "".join(
                    f'<td style="{cell.format(column.align)}{weight}">{html.escape(text)}</td>'
                    for column, text in zip(columns, row)
                )
                + "</tr>"
            )
    parts.append("</table>")
    parts += [f"<p>{_inline_html(note)}</p>" for note in table.notes]
    return "\n".join(parts)


def _inline_html(text: str) -> str:
    """Escaped text with Markdown's ``**bold**`` kept as bold."""
    pieces = html.escape(text).split("**")
    return "".join(f"<b>{piece}</b>" if index % 2 else piece for index, piece in enumerate(pieces))


def print_report(console: Any, report: Report) -> None:
    """Print the terminal's view of every table of a report on a rich console."""
    for table in report.tables:
        rendered = rich_table(table)
        if rendered is not None:
            console.print(rendered)


# ----------------------------------------------------------------------------- figures


def evaluation_png(
    labels_true: np.ndarray,
    labels_pred: np.ndarray,
    points: np.ndarray,
    *,
    action_names: Sequence[str] = (),
    frame_rate: float | None = None,
    title: str = "",
) -> bytes:
    """One PNG: segmentation bars (truth vs prediction) above the 3-D embedding panels."""
    from mocap_seq2seq.report.figures import embedding_panels, segmentation_bars

    names = list(action_names) or None
    bars = segmentation_bars(
        labels_true, labels_pred, action_names=names, frame_rate=frame_rate, title=title or None
    )
    panels = embedding_panels(points, labels_true, labels_pred, action_names=names)
    return _stack_pngs([bars, panels])


def prediction_png(
    labels_pred: np.ndarray,
    points: np.ndarray,
    *,
    frame_rate: float | None = None,
    title: str = "",
) -> bytes:
    """One PNG for a sequence without ground truth: the cluster bar above the 3-D embedding."""
    from mocap_seq2seq.report.figures import cluster_bar, embedding_3d

    bar = cluster_bar(labels_pred, frame_rate=frame_rate, title=title or None)
    names = {int(v): f"cluster {int(v)}" for v in np.unique(labels_pred)}
    cloud = embedding_3d(points, labels_pred, names=names, title="decoder states (PCA)")
    return _stack_pngs([bar, cloud])


def _stack_pngs(figures: Sequence[Any]) -> bytes:
    """Render figures and stack the images vertically, centred, into one PNG."""
    from PIL import Image

    from mocap_seq2seq.report.figures import figure_to_png_bytes

    images = [Image.open(io.BytesIO(figure_to_png_bytes(figure))) for figure in figures]
    width = max(image.width for image in images)
    canvas = Image.new("RGB", (width, sum(image.height for image in images)), "white")
    top = 0
    for image in images:
        canvas.paste(image, ((width - image.width) // 2, top))
        top += image.height
    output = io.BytesIO()
    canvas.save(output, format="PNG")
    return output.getvalue()


def write_evaluation_report(
    folder: str | os.PathLike[str],
    evaluation: Evaluation,
    png: bytes | None,
) -> list[Path]:
    """Write ``evaluation.json``, ``evaluation.md`` and ``evaluation.png`` into ``folder``."""
    folder = Path(folder)
    written = [folder / "evaluation.json", folder / "evaluation.md"]
    write_json(written[0], evaluation.to_dict())
    markdown = "".join(markdown_table(table) for table in evaluation_tables([evaluation]))
    if png is not None:
        write_bytes(folder / "evaluation.png", png)
        written.append(folder / "evaluation.png")
        markdown += "\n![segmentation and embedding](evaluation.png)\n"
    write_text(written[1], markdown)
    return written


# ----------------------------------------------------------------------------- reports


def report_markdown(report: Report) -> str:
    """A report as Markdown: title, paragraphs and notes, tables, figures with captions."""
    lines = [f"# {report.title}", ""]
    for paragraph in (*report.paragraphs, *report.notes):
        lines += [paragraph, ""]
    lines += [text for text in map(markdown_table, report.tables) if text]
    for figure in report.figures:
        lines += [
            "",
            f"![{figure.caption}](figures/{figure.stem}.png)",
            "",
            f"*{figure.caption}*",
        ]
    return "\n".join(lines) + "\n"


def report_html(report: Report) -> str:
    """A report as one self-contained HTML page (figures inlined as base64 PNG)."""
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    body += [f"<p>{html.escape(text)}</p>" for text in (*report.paragraphs, *report.notes)]
    body += [text for text in map(html_table, report.tables) if text]
    for figure in report.figures:
        data = base64.b64encode(figure.png).decode("ascii")
        caption = html.escape(figure.caption)
        body.append(
            f'<figure><img alt="{caption}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
        )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(report.title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:1100px;margin:auto">'
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_report(folder: str | os.PathLike[str], report: Report) -> list[Path]:
    """Write ``report.md``, ``report.html`` (self-contained), ``summary.json``, ``figures/``."""
    folder = Path(folder)
    written = []
    for figure in report.figures:
        path = folder / "figures" / f"{figure.stem}.png"
        write_bytes(path, figure.png)
        written.append(path)
    write_text(folder / "report.md", report_markdown(report))
    write_text(folder / "report.html", report_html(report))
    stems = sorted(figure.stem for figure in report.figures)
    write_json(folder / "summary.json", {"title": report.title, "figures": stems, **report.summary})
    return [folder / "report.md", folder / "report.html", folder / "summary.json", *written]
