"""`mocap embed`: one decoder state per frame, written to HDF5."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mocap_cli.console import console, line
from mocap_cli.options import (
    Actions,
    DataDir,
    DataFile,
    FrameRate,
    Overwrite,
    SequenceName,
    Trial,
)
from mocap_seq2seq.combination import COMBINATIONS, DEFAULT_COMBINATION

Combination = Enum("Combination", {name: name for name in COMBINATIONS}, type=str)  # type: ignore[misc]


def embed(
    run: Annotated[
        Path,
        typer.Argument(
            help="A run folder written by `mocap train` (or a pretrained model folder)."
        ),
    ],
    trial: Trial = None,
    actions: Actions = None,
    data: DataFile = None,
    sequence: SequenceName = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the --actions concatenation.")] = 0,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Embedding file \\[default: RUN/embedding.h5].",
            show_default=False,
        ),
    ] = None,
    best: Annotated[
        bool, typer.Option("--best", help="Use the weights with the best monitor score.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Windows per forward pass.")
    ] = 256,
    paper_protocol: Annotated[
        bool,
        typer.Option(
            "--paper-protocol",
            help="Tile windows inside ground-truth segments, as "
            "the paper's code (uses the labels: not leakage-free).",
        ),
    ] = False,
    combination: Annotated[
        Combination,
        typer.Option(
            "--combination",
            help="How an ensemble's member states become one embedding: "
            + "; ".join(f"{item.name}: {item.help}" for item in COMBINATIONS.values())
            + ".",
        ),
    ] = Combination[DEFAULT_COMBINATION],
    overwrite: Overwrite = False,
    data_dir: DataDir = None,
    frame_rate: FrameRate = None,
) -> None:
    """Embed a sequence: every frame gets the decoder state that predicted it.

    Without --trial, --actions or --data, the sequence the run was trained on is embedded.
    """
    from mocap_cli.backend import import_keras

    import_keras()
    from mocap_cli.progress import window_progress
    from mocap_cli.sources import select_source
    from mocap_seq2seq.data.sources import source_from_description
    from mocap_seq2seq.embedding import embed_run, write_embedding
    from mocap_seq2seq.errors import OutputExistsError
    from mocap_seq2seq.model.ensemble import load_members

    source = None
    if trial is not None or actions is not None or data is not None:
        # A wrong name is the first thing to hear about, before any existing output.
        source = select_source(
            trial=trial,
            actions=actions,
            seed=seed,
            data_dir=data_dir,
            data=data,
            sequence=sequence,
            frame_rate=frame_rate,
        )
    target = output if output is not None else run / "embedding.h5"
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"'{target}' already exists.", fix="Pass --overwrite to replace it."
        )
    stored = load_members(run, best=best)[0].stored  # refuses an unfinished run first
    if source is None:
        source = source_from_description(stored.get("data", {}), data_dir, frame_rate=frame_rate)
    metadata = {
        "sequence": source.description,
        "name": source.name,
        "run": str(run),
        "weights": "best" if best else "final",
        "paper_protocol": paper_protocol,
        "frame_rate": source.frame_rate,
        "train": stored.get("train", {}),
    }
    with window_progress("embedding") as report:
        embedding = embed_run(
            run,
            source.frames,
            best=best,
            combination=combination.value,
            segment_bounds=source.segment_bounds if paper_protocol else None,
            batch_size=batch_size,
            metadata=metadata,
            truth=source.truth,
            progress=report,
        )
    write_embedding(target, embedding, overwrite=overwrite)
    if embedding.agreement is not None:
        members = embedding.metadata["ensemble"]["n_members"]
        console.print(
            f"Ensemble of {members} members, states combined by '{combination.value}'; "
            f"mean agreement across members {float(embedding.agreement.mean()):.2f} "
            "(stored per frame as /agreement)."
        )
    console.print(
        line(
            ("Wrote", "green"),
            f" {target}: {embedding.n_frames:,} frames x {embedding.states.shape[1]} states "
            f"({int(embedding.filled.sum())} filled from neighbours)",
            (" (paper protocol: uses the labels)" if paper_protocol else "", "yellow"),
        ),
        soft_wrap=True,
    )
