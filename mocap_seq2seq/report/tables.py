"""The tables of a report, defined once as :class:`~mocap_seq2seq.report.model.Table` data.

Each function takes plain results (evaluations, frame labels) and returns
model tables; :mod:`mocap_seq2seq.report.render` draws them. Score columns
that fit a terminal are shown there; the files get every score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mocap_seq2seq.labels import labels_to_segments
from mocap_seq2seq.report.model import (
    DOCUMENT,
    EVERYWHERE,
    TERMINAL,
    Cell,
    Column,
    RowGroup,
    Table,
    single_group_table,
)
from mocap_seq2seq.segment.evaluation import Evaluation
from mocap_seq2seq.units import frames_to_seconds

#: Score columns of every document table, with their headers.
SCORE_COLUMNS = {
    "accuracy": "acc. (Hungarian)",
    "paper_accuracy": "acc. (paper)",
    "ari": "ARI",
    "ami": "AMI",
    "nmi": "NMI",
    "v_measure": "V",
}

#: Scores shown in terminal tables (every score goes to JSON and the documents).
TERMINAL_COLUMNS = {"accuracy": "acc", "paper_accuracy": "paper acc", "ari": "ARI", "nmi": "NMI"}

_T = frozenset({TERMINAL})
_D = frozenset({DOCUMENT})

ORACLE_NOTE = (
    "Oracle K: the segmenter was told the true number of actions (and of segments, "
    "where it uses one); automatic K: it was told neither."
)
PAPER_PROTOCOL_NOTE = (
    "**Paper protocol**: training and embedding windows were cut inside the "
    "ground-truth segments; these numbers use the answer and are not leakage-free."
)


def _conditions(evaluation: Evaluation) -> str:
    return f"{evaluation.k_mode} K, {evaluation.protocol}"


def _segmenter(evaluation: Evaluation) -> str:
    return f"{evaluation.method} / {evaluation.features.replace('decoder ', '')}"


def _mean(group: Sequence[Evaluation], key: str) -> float:
    if key in SCORE_COLUMNS:
        return float(np.mean([evaluation.scores[key] for evaluation in group]))
    return float(np.mean([getattr(evaluation, key) for evaluation in group]))


def _boundaries(precision: float, recall: float, f1: float) -> str:
    return f"{precision:.2f}/{recall:.2f}/{f1:.2f}"


def _row(evaluation: Evaluation) -> tuple[Cell, ...]:
    mode = "auto" if evaluation.k_mode == "automatic" else evaluation.k_mode
    counts = f"{evaluation.n_actions_true}/{evaluation.n_clusters_pred}"
    return (
        evaluation.sequence,
        _segmenter(evaluation),
        f"{mode} {counts}",
        *(evaluation.scores[key] for key in TERMINAL_COLUMNS),
        evaluation.boundary_f1,
        evaluation.method,
        evaluation.features,
        _conditions(evaluation),
        counts,
        f"{evaluation.n_segments_true}/{evaluation.n_segments_pred}",
        *(evaluation.scores[key] for key in SCORE_COLUMNS),
        _boundaries(
            evaluation.boundary_precision, evaluation.boundary_recall, evaluation.boundary_f1
        ),
    )


def _mean_row(group: Sequence[Evaluation]) -> tuple[Cell, ...]:
    first = group[0]
    return (
        f"mean of {len(group)}",
        _segmenter(first),
        first.k_mode,
        *(_mean(group, key) for key in TERMINAL_COLUMNS),
        _mean(group, "boundary_f1"),
        first.method,
        first.features,
        _conditions(first),
        None,
        None,
        *(_mean(group, key) for key in SCORE_COLUMNS),
        _boundaries(
            _mean(group, "boundary_precision"),
            _mean(group, "boundary_recall"),
            _mean(group, "boundary_f1"),
        ),
    )


def _rows_table(
    evaluations: Sequence[Evaluation], title: str, views: frozenset[str] = EVERYWHERE
) -> Table:
    sequences = list(dict.fromkeys(evaluation.sequence for evaluation in evaluations))
    several = len(sequences) > 1
    columns = (
        Column("sequence", views=EVERYWHERE if several else _D),
        Column("segmenter", views=_T),
        Column("K true/pred", views=_T),
        *(Column(header, "right", views=_T) for header in TERMINAL_COLUMNS.values()),
        Column("bnd F1", "right", digits=2, views=_T),
        Column("method", views=_D),
        Column("features", views=_D),
        Column("conditions", views=_D),
        Column("K true/pred", views=_D),
        Column("segments true/pred", views=_D),
        *(Column(header, views=_D) for header in SCORE_COLUMNS.values()),
        Column("boundary P/R/F1", views=_D),
    )
    groups = [RowGroup(tuple(_row(evaluation) for evaluation in evaluations))]
    if several:
        # one mean row per (method, features, K mode), over the sequences
        by_kind: dict[tuple[str, str, str], list[Evaluation]] = {}
        for evaluation in evaluations:
            key = (evaluation.method, evaluation.features, evaluation.k_mode)
            by_kind.setdefault(key, []).append(evaluation)
        groups.append(
            RowGroup(tuple(_mean_row(group) for group in by_kind.values()), emphasis=True)
        )
    protocols = {evaluation.protocol for evaluation in evaluations}
    notes = (PAPER_PROTOCOL_NOTE,) if "paper" in protocols else ()
    return Table(
        title=title,
        columns=columns,
        groups=tuple(groups),
        caption=", ".join(sorted(protocols)) + "; oracle K = told the true numbers",
        notes=(*notes, ORACLE_NOTE),
        views=views,
    )


def _measure_table(evaluation: Evaluation, title: str) -> Table:
    """One evaluation measure by measure: the terminal's view of a single result."""
    columns = (Column("measure"), Column("value", "right"))
    overview = (
        ("method", f"{evaluation.method} on {evaluation.features}"),
        ("conditions", _conditions(evaluation)),
        (
            "actions true / clusters predicted",
            f"{evaluation.n_actions_true} / {evaluation.n_clusters_pred}",
        ),
        (
            "segments true / predicted",
            f"{evaluation.n_segments_true} / {evaluation.n_segments_pred}",
        ),
    )
    scores = tuple((header, evaluation.scores[key]) for key, header in SCORE_COLUMNS.items())
    boundaries = (
        ("boundary precision", evaluation.boundary_precision),
        ("boundary recall", evaluation.boundary_recall),
        ("boundary F1", evaluation.boundary_f1),
    )
    return Table(
        title=title,
        columns=columns,
        groups=(RowGroup(overview), RowGroup(scores), RowGroup(boundaries)),
        views=_T,
    )


def evaluation_tables(evaluations: Sequence[Evaluation], title: str = "Evaluation") -> list[Table]:
    """The table of a list of evaluations: one row each, and means over several sequences.

    A single evaluation is shown measure by measure in the terminal
    (titled ``"<title>: <sequence>"``) and as one row in the documents
    (``"<title> of <sequence>"``).
    """
    if len(evaluations) == 1:
        (evaluation,) = evaluations
        return [
            _measure_table(evaluation, f"{title}: {evaluation.sequence}"),
            _rows_table(evaluations, f"{title} of {evaluation.sequence}", views=_D),
        ]
    return [_rows_table(evaluations, title)]


def segments_table(title: str, frame_labels: np.ndarray, frame_rate: float | None) -> Table:
    """The segments of a labelling: start and end frames, and in seconds when the rate is known,
    length, cluster."""
    segments = labels_to_segments(frame_labels)
    if not frame_rate:
        columns = [
            Column("start", "right"),
            Column("end", "right"),
            Column("frames", "right"),
            Column("cluster", "right"),
        ]
        return single_group_table(title, columns, [(s, e, e - s, v) for s, e, v in segments])
    rows = [
        (s, e, *(frames_to_seconds(n, frame_rate) for n in (s, e, e - s)), v)
        for s, e, v in segments
    ]
    columns = [
        Column("start", "right"),
        Column("end", "right"),
        Column("start s", "right", digits=2),
        Column("end s", "right", digits=2),
        Column("seconds", "right", digits=1),
        Column("cluster", "right"),
    ]
    return single_group_table(title, columns, rows)
