"""`mocap evaluate`: a clustering against the ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line


def evaluate(
    clustering: Annotated[
        Path, typer.Argument(help="A clustering folder written by `mocap cluster`.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Report folder \\[default: the clustering folder].",
            show_default=False,
        ),
    ] = None,
    figure: Annotated[
        bool, typer.Option("--figure/--no-figure", help="Write evaluation.png.")
    ] = True,
) -> None:
    """Score a clustering: accuracy (Hungarian and paper), ARI, AMI, NMI, V, boundary F1.

    Writes evaluation.json, evaluation.md and evaluation.png (segmentation bars,
    truth vs prediction, and the 3-D embedding coloured by true and predicted action).
    """
    from mocap_seq2seq.embedding import read_embedding
    from mocap_seq2seq.errors import MismatchError
    from mocap_seq2seq.pipeline import FEATURE_SETS
    from mocap_seq2seq.report.render import evaluation_png, rich_table, write_evaluation_report
    from mocap_seq2seq.report.tables import evaluation_tables
    from mocap_seq2seq.segment.evaluation import K_MODES, evaluate_labels
    from mocap_seq2seq.segment.results import clustering_embedding_path, read_clustering

    labels, metadata = read_clustering(clustering)
    embedding_path = clustering_embedding_path(clustering, metadata)
    embedding = read_embedding(embedding_path)
    if embedding.labels is None or embedding.tolerance_windows is None:
        raise MismatchError(
            f"The embedding of {clustering} has no ground truth to evaluate against.",
            fix="Embed a subject-86 trial, a case-(i) concatenation, or a file converted "
            "with `mocap convert --labels`.",
        )
    if labels.size != embedding.n_frames:
        raise MismatchError(
            f"The clustering has {labels.size} frames but its embedding {embedding.n_frames}.",
            fix="Cluster the embedding again.",
        )
    evaluation = evaluate_labels(
        embedding.labels,
        labels,
        embedding.tolerance_windows,
        sequence=metadata.get("sequence") or embedding_path.stem,
        method=metadata["method"],
        k_mode=metadata["k_mode"] if metadata["k_mode"] in K_MODES else "given",
        protocol="paper" if metadata.get("paper_protocol") else "leakage-free",
        features=FEATURE_SETS[metadata.get("features", "states")],
    )
    console.print(rich_table(evaluation_tables([evaluation])[0]))
    png = None
    if figure:
        with console.status("Drawing the figure..."):
            png = evaluation_png(
                embedding.labels,
                labels,
                embedding.pca,
                action_names=embedding.action_names,
                # The clustering's rate (`cluster --frame-rate`), else the embedding's.
                frame_rate=metadata.get("frame_rate") or embedding.metadata.get("frame_rate"),
                title=evaluation.sequence,
            )
    written = write_evaluation_report(output or clustering, evaluation, png)
    console.print(
        line(("Wrote", "green"), " " + ", ".join(str(path) for path in written)), soft_wrap=True
    )
