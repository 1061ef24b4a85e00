"""Rendering, last: rich tables, Markdown, JSON and PNG figures of evaluations.

The only module of the library that uses rich. Everything here takes the
plain results (:class:`~mocap_seq2seq.segment.evaluation.Evaluation`, arrays) and
turns them into text or files; nothing computes a score.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from mocap_seq2seq.atomic import write_bytes, write_json, write_text
from mocap_seq2seq.segment.evaluation import Evaluation

#: Score columns of every table, with their headers.
SCORE_COLUMNS = {
    "accuracy": "acc. (Hungarian)",
    "paper_accuracy": "acc. (paper)",
    "ari": "ARI",
    "ami": "AMI",
    "nmi": "NMI",
    "v_measure": "V",
}


def _conditions(evaluation: Evaluation) -> str:
    return f"{evaluation.k_mode} K, {evaluation.protocol}"


#: Scores shown in terminal tables (every score goes to JSON and Markdown).
TERMINAL_COLUMNS = {"accuracy": "acc", "paper_accuracy": "paper acc", "ari": "ARI", "nmi": "NMI"}


def evaluation_table(evaluations: Sequence[Evaluation], title: str = "Evaluation") -> Table:
    """A rich table: metric by metric for one evaluation; one row each for several.

    With several sequences, a last section averages each (method, features,
    K mode) over the sequences.
    """
    if len(evaluations) == 1:
        return _single_table(evaluations[0], title)
    sequences = list(dict.fromkeys(e.sequence for e in evaluations))
    table = Table(title=title)
    if len(sequences) > 1:
        table.add_column("sequence")
    table.add_column("segmenter")
    table.add_column("K true/pred")
    for header in TERMINAL_COLUMNS.values():
        table.add_column(header, justify="right")
    table.add_column("bnd F1", justify="right")

    def cells(group: Sequence[Evaluation]) -> list[str]:
        first = group[0]
        mode = "auto" if first.k_mode == "automatic" else first.k_mode
        k = f"{mode} {first.n_actions_true}/{first.n_clusters_pred}"
        if len(group) > 1:
            k = first.k_mode
        values = [f"{np.mean([e.scores[key] for e in group]):.3f}" for key in TERMINAL_COLUMNS]
        f1 = f"{np.mean([e.boundary_f1 for e in group]):.2f}"
        features = first.features.replace("decoder ", "")
        return [f"{first.method} / {features}", k, *values, f1]

    for evaluation in evaluations:
        prefix = [evaluation.sequence] if len(sequences) > 1 else []
        table.add_row(*prefix, *cells([evaluation]))
    if len(sequences) > 1:
        table.add_section()
        groups: dict[tuple[str, str, str], list[Evaluation]] = {}
        for evaluation in evaluations:
            key = (evaluation.method, evaluation.features, evaluation.k_mode)
            groups.setdefault(key, []).append(evaluation)
        for group in groups.values():
            table.add_row(f"mean of {len(group)}", *cells(group), style="bold")
    protocols = {e.protocol for e in evaluations}
    table.caption = ", ".join(sorted(protocols)) + "; oracle K = told the true numbers"
    return table


def _single_table(evaluation: Evaluation, title: str) -> Table:
    table = Table(title=f"{title}: {evaluation.sequence}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("method", f"{evaluation.method} on {evaluation.features}")
    table.add_row("conditions", _conditions(evaluation))
    table.add_row(
        "actions true / clusters predicted",
        f"{evaluation.n_actions_true} / {evaluation.n_clusters_pred}",
    )
    table.add_row(
        "segments true / predicted", f"{evaluation.n_segments_true} / {evaluation.n_segments_pred}"
    )
    table.add_section()
    for key, header in SCORE_COLUMNS.items():
        table.add_row(header, f"{evaluation.scores[key]:.3f}")
    table.add_section()
    table.add_row("boundary precision", f"{evaluation.boundary_precision:.3f}")
    table.add_row("boundary recall", f"{evaluation.boundary_recall:.3f}")
    table.add_row("boundary F1", f"{evaluation.boundary_f1:.3f}")
    return table


def _row(evaluation: Evaluation) -> list[str]:
    return [
        evaluation.sequence,
        evaluation.method,
        evaluation.features,
        _conditions(evaluation),
        f"{evaluation.n_actions_true}/{evaluation.n_clusters_pred}",
        f"{evaluation.n_segments_true}/{evaluation.n_segments_pred}",
        *(f"{evaluation.scores[key]:.3f}" for key in SCORE_COLUMNS),
        f"{evaluation.boundary_precision:.2f}/{evaluation.boundary_recall:.2f}/"
        f"{evaluation.boundary_f1:.2f}",
    ]


def evaluation_markdown(evaluations: Sequence[Evaluation], title: str = "Evaluation") -> str:
    """The same table as :func:`evaluation_table`, as GitHub Markdown."""
    headers = [
        "sequence",
        "method",
        "features",
        "conditions",
        "K true/pred",
        "segments true/pred",
        *SCORE_COLUMNS.values(),
        "boundary P/R/F1",
    ]
    lines = [f"## {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_row(evaluation)) + " |" for evaluation in evaluations]
    protocols = {evaluation.protocol for evaluation in evaluations}
    if "paper" in protocols:
        lines += [
            "",
            "**Paper protocol**: training and embedding windows were cut inside the "
            "ground-truth segments; these numbers use the answer and are not leakage-free.",
        ]
    lines += [
        "",
        "Oracle K: the segmenter was told the true number of actions (and of segments, "
        "where it uses one); automatic K: it was told neither.",
    ]
    return "\n".join(lines) + "\n"


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
    markdown = evaluation_markdown([evaluation], f"Evaluation of {evaluation.sequence}")
    if png is not None:
        write_bytes(folder / "evaluation.png", png)
        written.append(folder / "evaluation.png")
        markdown += "\n![segmentation and embedding](evaluation.png)\n"
    write_text(written[1], markdown)
    return written


def table_html(table: Table, width: int = 120) -> str:
    """A rich table as an HTML fragment with inline styles (no external CSS)."""
    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor")
    console.print(table)
    return console.export_html(
        inline_styles=True,
        code_format='<pre style="font-family:Menlo,Consolas,monospace;font-size:13px">{code}</pre>',
    )


def write_html_report(
    folder: str | os.PathLike[str],
    *,
    title: str,
    paragraphs: Sequence[str],
    tables: Sequence[Table],
    markdown_tables: Sequence[str],
    figures: dict[str, bytes],
    captions: dict[str, str] | None = None,
    summary: dict | None = None,
) -> list[Path]:
    """Write ``report.md``, a self-contained ``report.html`` and ``figures/*.png``.

    Args:
        folder: the report folder (created).
        title: page title.
        paragraphs: plain-text paragraphs shown under the title.
        tables: rich tables for the HTML page.
        markdown_tables: the same content as Markdown, for ``report.md``.
        figures: file stem -> PNG bytes.
        captions: file stem -> caption.
        summary: JSON-able results written to ``summary.json``.
    """
    import base64
    import html

    folder = Path(folder)
    captions = captions or {}
    written = []
    for stem, png in figures.items():
        path = folder / "figures" / f"{stem}.png"
        write_bytes(path, png)
        written.append(path)
    markdown = [f"# {title}", ""]
    for paragraph in paragraphs:
        markdown += [paragraph, ""]
    markdown += list(markdown_tables)
    for stem in figures:
        markdown += [
            "",
            f"![{captions.get(stem, stem)}](figures/{stem}.png)",
            "",
            f"*{captions.get(stem, stem)}*",
        ]
    write_text(folder / "report.md", "\n".join(markdown) + "\n")
    body = [f"<h1>{html.escape(title)}</h1>"]
    body += [f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs]
    body += [table_html(table) for table in tables]
    for stem, png in figures.items():
        data = base64.b64encode(png).decode("ascii")
        caption = html.escape(captions.get(stem, stem))
        body.append(
            f'<figure><img alt="{caption}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
        )
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:sans-serif;max-width:1100px;margin:auto">'
        + "\n".join(body)
        + "</body></html>\n"
    )
    write_text(folder / "report.html", page)
    write_json(
        folder / "summary.json", {"title": title, "figures": sorted(figures), **(summary or {})}
    )
    return [folder / "report.md", folder / "report.html", folder / "summary.json", *written]
