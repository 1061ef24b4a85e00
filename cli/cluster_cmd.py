"""`mocap cluster`: frame labels and segments from an embedding."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line
from mocap_cli.options import DEFAULT_FEATURE_SET, Features, FrameRate, Overwrite
from mocap_seq2seq.segment.names import AUTOMATIC_K_HELP, SEGMENTER_HELP

#: The segmenters' names, from the library's light registry (no scikit-learn import).
METHODS = tuple(SEGMENTER_HELP)
Method = Enum("Method", {name: name for name in METHODS}, type=str)  # type: ignore[misc]
AutoK = Enum("AutoK", {name: name for name in AUTOMATIC_K_HELP}, type=str)  # type: ignore[misc]


def cluster(
    embedding: Annotated[Path, typer.Argument(help="An embedding file written by `mocap embed`.")],
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="; ".join(f"{name}: {text}" for name, text in SEGMENTER_HELP.items()) + ".",
        ),
    ] = Method.kernel,  # type: ignore[attr-defined]
    k: Annotated[
        str,
        typer.Option(
            "--k",
            help="Number of clusters: an integer, 'auto' (chosen without labels), "
            "or 'oracle' (the true number of actions, read from the ground truth).",
        ),
    ] = "auto",
    segments: Annotated[
        str,
        typer.Option(
            "--segments",
            help="kernel only: number of segments, 'auto', or 'oracle'. "
            "\\[default: oracle with --k oracle, else auto]",
            show_default=False,
        ),
    ] = "",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Output folder \\[default: next to the embedding, clustering-<method>-<k>].",
            show_default=False,
        ),
    ] = None,
    features: Features = DEFAULT_FEATURE_SET,
    auto_k: Annotated[
        AutoK,
        typer.Option(
            "--auto-k",
            help="kernel only: how automatic K chooses the counts it is not told: "
            + "; ".join(f"{name}: {text}" for name, text in AUTOMATIC_K_HELP.items())
            + ".",
        ),
    ] = AutoK.default,  # type: ignore[attr-defined]
    overwrite: Overwrite = False,
    frame_rate: FrameRate = None,
) -> None:
    """Cluster the frames of an embedding; write per-frame labels and segments (CSV, JSON).

    Block length, shortest segment and tolerance are in seconds, turned into
    frames at the embedding's frame rate (--frame-rate overrides it).
    """
    from mocap_seq2seq.embedding import read_embedding
    from mocap_seq2seq.errors import MismatchError, UsageError
    from mocap_seq2seq.pipeline import oracle_parameters, rate_parameters, segment_embedding
    from mocap_seq2seq.segment.results import write_clustering
    from mocap_seq2seq.units import check_frame_rate

    method = method.value  # type: ignore[assignment]

    n_clusters, k_mode = _count(k, "--k")
    n_segments, segment_mode = _count(
        segments or ("oracle" if k_mode == "oracle" else "auto"), "--segments"
    )
    if method != "kernel" and segments:
        raise UsageError("--segments applies to --method kernel only.")
    if method != "kernel" and auto_k.value != "default":
        raise UsageError("--auto-k applies to --method kernel only.")
    target = (
        output
        if output is not None
        else (
            embedding.parent
            / (
                f"clustering-{method}-{k_mode if n_clusters is None else k}"
                + ("" if features.value == "states" else f"-{features.value}")
            )
        )
    )
    if frame_rate is not None:
        frame_rate = check_frame_rate(frame_rate)
    found = read_embedding(embedding)
    rate = frame_rate if frame_rate is not None else found.metadata.get("frame_rate")
    name = found.metadata.get("name") or embedding.name
    # Refused before any work when the segmenter works in seconds and no rate is known.
    rate_parameters(method, rate, f"'{name}' (in '{embedding.name}')")
    oracle = k_mode == "oracle" or segment_mode == "oracle"
    if oracle and found.labels is None:
        raise MismatchError(
            "'oracle' needs the ground truth, and this embedding has none.",
            fix="Pass an integer or 'auto'.",
        )
    if oracle:
        truth = oracle_parameters(found.labels, method)
        if k_mode == "oracle":
            n_clusters = truth["n_clusters"]
        if segment_mode == "oracle":
            n_segments = truth.get("n_segments")
    if n_clusters is not None and not 1 <= n_clusters <= found.n_frames:
        raise MismatchError(
            f"--k must be between 1 and the number of frames ({found.n_frames:,}). "
            f"Got {n_clusters}.",
            fix=f"Pass a --k between 1 and {found.n_frames}.",
        )
    parameters: dict[str, object] = {"n_clusters": n_clusters, **rate_parameters(method, rate, "")}
    if method == "kernel":
        from mocap_seq2seq.segment.segmentation import AUTOMATIC_K_RULES

        parameters["n_segments"] = n_segments
        parameters.update(AUTOMATIC_K_RULES[auto_k.value])
    mode = (
        "oracle"
        if oracle
        else ("given" if n_clusters is not None or n_segments is not None else "automatic")
    )
    with console.status(line(f"Clustering {found.n_frames:,} frames with '{method}'...")):
        result = segment_embedding(
            found,
            method=method,
            parameters=parameters,
            k_mode=mode,
            sequence=found.metadata.get("name", ""),
            feature_set=features.value,
        )
    metadata = {
        # Relative to the clustering folder, so that a moved runs/ folder still
        # works; the absolute path is the fallback.
        "embedding": os.path.relpath(embedding.resolve(), target.resolve()),
        "embedding_absolute": str(embedding.resolve()),
        "method": method,
        "features": features.value,
        "parameters": result.parameters,
        "k_mode": mode,
        # The poses alone come from no model: the paper's protocol does not touch them.
        "paper_protocol": bool(found.metadata.get("paper_protocol", False))
        and features.value != "poses",
        "n_clusters": result.n_clusters,
        "n_segments": result.n_segments,
        "sequence": found.metadata.get("name", ""),
        "frame_rate": rate,
    }
    write_clustering(target, result.frame_labels, metadata, overwrite=overwrite, frame_rate=rate)
    console.print(
        line(
            ("Wrote", "green"),
            f" {target}: {result.n_clusters} clusters, {result.n_segments} segments ({mode} K).",
        ),
        soft_wrap=True,
    )


def _count(value: str, option: str) -> tuple[int | None, str]:
    from mocap_seq2seq.errors import UsageError

    text = value.strip().lower()
    if text in ("auto", "oracle"):
        return None, "automatic" if text == "auto" else "oracle"
    try:
        number = int(text)
    except ValueError:
        raise UsageError(
            f"{option} must be an integer, 'auto' or 'oracle'. Got '{value}'."
        ) from None
    if number < 1:
        raise UsageError(
            f"{option} must be at least 1. Got {number}.",
            fix=f"Pass a positive {option}, or 'auto'.",
        )
    return number, "given"
