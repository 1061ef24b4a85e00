"""Rendering, last: rich tables, Markdown, JSON and PNG figures of evaluations.

The only module of the library that uses rich. Everything here takes the
plain results (:class:`~mocap_seq2seq.evaluation.Evaluation`, arrays) and
turns them into text or files; nothing computes a score.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.table import Table

from mocap_seq2seq.atomic import write_bytes, write_json, write_text
from mocap_seq2seq.evaluation import Evaluation

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


def evaluation_table(evaluations: Sequence[Evaluation], title: str = "Evaluation") -> Table:
    """A rich table: metric by metric for one evaluation; one row each (plus mean) for several."""
    if len(evaluations) == 1:
        return _single_table(evaluations[0], title)
    table = Table(title=title)
    for header in (
        "sequence",
        "method",
        "features",
        "conditions",
        "K true/pred",
        "segments true/pred",
    ):
        table.add_column(header)
    for header in (*SCORE_COLUMNS.values(), "boundary P/R/F1"):
        table.add_column(header, justify="right")
    for evaluation in evaluations:
        table.add_row(*_row(evaluation))
    if len(evaluations) > 1:
        table.add_section()
        means = {key: np.mean([e.scores[key] for e in evaluations]) for key in SCORE_COLUMNS}
        f1 = np.mean([e.boundary_f1 for e in evaluations])
        table.add_row(
            "mean",
            "",
            "",
            "",
            "",
            "",
            *(f"{means[k]:.3f}" for k in SCORE_COLUMNS),
            f"F1 {f1:.3f}",
            style="bold",
        )
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
    from PIL import Image

    from mocap_seq2seq.plots import embedding_panels, figure_to_png_bytes, segmentation_bars

    names = list(action_names) or None
    bars = segmentation_bars(
        labels_true, labels_pred, action_names=names, frame_rate=frame_rate, title=title or None
    )
    panels = embedding_panels(points, labels_true, labels_pred, action_names=names)
    images = [Image.open(io.BytesIO(figure_to_png_bytes(figure))) for figure in (bars, panels)]
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
