"""The report model: one table definition drawn by the terminal, Markdown and HTML renderers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from mocap_seq2seq.pipeline import oracle_parameters, segment_frames
from mocap_seq2seq.report.model import DOCUMENT, TERMINAL, Column, Figure, Report, RowGroup, Table
from mocap_seq2seq.report.render import (
    html_table,
    markdown_table,
    print_report,
    rich_table,
    write_report,
)
from mocap_seq2seq.report.tables import evaluation_tables
from mocap_seq2seq.segment.evaluation import evaluate_labels
from mocap_seq2seq.segment.segmentation import SEGMENTERS

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 8


def _table() -> Table:
    return Table(
        title="scores",
        columns=(
            Column("name"),
            Column("short", "right", digits=1, views=frozenset({TERMINAL})),
            Column("long", "right", digits=4, views=frozenset({DOCUMENT})),
        ),
        groups=(
            RowGroup((("a", 0.25, 0.25), ("b", 0.5, 0.5))),
            RowGroup((("mean", 0.375, 0.375),), emphasis=True),
        ),
        caption="terminal caption",
        notes=("A **note** for documents.",),
    )


def _text(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_each_view_shows_its_columns_with_its_digits() -> None:
    table = _table()
    terminal = _text(rich_table(table))
    assert "short" in terminal and "long" not in terminal
    assert "0.2" in terminal and "0.2500" not in terminal
    assert "terminal caption" in terminal
    markdown = markdown_table(table)
    assert markdown.splitlines()[:4] == ["## scores", "", "| name | long |", "|---|---:|"]
    assert "| mean | 0.3750 |" in markdown and "short" not in markdown
    assert markdown.rstrip().endswith("A **note** for documents.")
    page = html_table(table)
    assert "<th" in page and "long" in page and "short" not in page
    assert "<b>note</b>" in page and "font-weight:bold" in page


def test_a_row_must_fill_every_column() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        Table("t", (Column("a"), Column("b"), Column("c")), (RowGroup((("x", 1),)),))


def test_a_terminal_only_table_is_absent_from_documents() -> None:
    table = Table("t", (Column("a"),), (RowGroup((("x",),)),), views=frozenset({TERMINAL}))
    assert markdown_table(table) == "" and html_table(table) == ""
    assert rich_table(table) is not None


def test_one_evaluation_is_measure_by_measure_in_the_terminal_and_a_row_in_files() -> None:
    labels = np.repeat([0, 1, 0], 40)
    evaluation = evaluate_labels(
        labels, labels, np.array([[35, 45], [75, 85]]), sequence="s", method="kernel"
    )
    terminal, document = evaluation_tables([evaluation])
    assert "boundary F1" in _text(rich_table(terminal))
    assert markdown_table(terminal) == ""
    markdown = markdown_table(document)
    assert markdown.startswith("## Evaluation of s\n")
    assert "| s | kernel | decoder states | automatic K, leakage-free | 2/2 | 3/3 |" in markdown


def test_write_report_writes_every_file(tmp_path: Path) -> None:
    report = Report(
        title="T",
        paragraphs=("First.",),
        tables=(_table(),),
        figures=(Figure("fig", PNG, "A caption."),),
        notes=("Noted.",),
        summary={"answer": 42},
    )
    write_report(tmp_path, report)
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("# T\n\nFirst.\n\nNoted.\n\n## scores")
    assert "![A caption.](figures/fig.png)" in markdown
    assert (tmp_path / "figures" / "fig.png").read_bytes() == PNG
    assert (tmp_path / "report.html").read_text().count("data:image/png;base64,") == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == {"title": "T", "figures": ["fig"], "answer": 42}
    console = Console(file=io.StringIO(), width=80, color_system=None)
    print_report(console, report)
    assert "short" in console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", sorted(SEGMENTERS))
def test_oracle_parameters_tell_each_segmenter_what_it_takes(method: str) -> None:
    labels = np.repeat([2, 0, 2, 1], 50)
    parameters = oracle_parameters(labels, method)
    assert parameters["n_clusters"] == 3
    takes_segments = "n_segments" in SEGMENTERS[method]().get_params()
    assert parameters.get("n_segments") == (4 if takes_segments else None)
    features = np.repeat(np.eye(3)[[2, 0, 2, 1]], 50, axis=0)
    features = features + np.random.default_rng(0).normal(0, 0.01, features.shape)
    predicted = segment_frames(features, method, labels=labels, oracle=True, random_state=0)
    assert np.unique(predicted).size == 3
