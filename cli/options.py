"""Options shared by several commands, defined once as ``Annotated`` aliases."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mocap_seq2seq.segment.names import DEFAULT_FEATURES, FEATURE_HELP

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder with the converted HDF5 files "
        "\\[default: $MOCAP_DATA_DIR, else the clone's data/].",
        show_default=False,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (windows, initial weights).")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace outputs that already exist.")]
Trial = Annotated[
    str | None,
    typer.Option(
        "--trial", help="Subject-86 trial, e.g. 01 (see `mocap info`).", show_default=False
    ),
]
Actions = Annotated[
    str | None,
    typer.Option(
        "--actions",
        help="Case (i): comma-separated actions to concatenate, e.g. walking,running.",
        show_default=False,
    ),
]
DataFile = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="A collection written by `mocap convert` (your BVH, ASF/AMC or Human3.6M "
        "data); pick a sequence with --sequence, or takes to concatenate with --actions.",
        show_default=False,
    ),
]
SequenceName = Annotated[
    str | None,
    typer.Option(
        "--sequence",
        help="Which sequence of the converted file (`mocap info --data FILE` lists them); "
        "may be left out when the file holds one.",
        show_default=False,
    ),
]
LabelsFile = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Ground truth of the one converted sequence: a CSV of start,end,label rows "
        "(0-based frames, end exclusive), e.g. a segments.csv of `mocap cluster`.",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
AsfFile = Annotated[
    Path | None,
    typer.Option(
        "--asf",
        help="The ASF skeleton of the AMC files (or list it among the files).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
FrameRate = Annotated[
    float | None,
    typer.Option(
        "--frame-rate",
        help="Frames per second of the sequence: overrides the rate stored with it, and is "
        "needed where none is stored (e.g. AMC files, which state none; CMU's are 120). "
        "Times in seconds (blocks, shortest segment, tolerance) become frames at this rate.",
        show_default=False,
    ),
]

SourceLength = Annotated[
    int | None,
    typer.Option(
        "--source-length",
        help="Frames the encoder reads \\[default: from --preset].",
        show_default=False,
    ),
]
TargetLength = Annotated[
    int | None,
    typer.Option(
        "--target-length",
        help="Frames the decoder predicts \\[default: from --preset].",
        show_default=False,
    ),
]

FeatureSet = Enum("FeatureSet", {name: name for name in FEATURE_HELP}, type=str)  # type: ignore[misc]
FEATURES_HELP = (
    "What the segmentation runs on: "
    + "; ".join(f"{name}: {text}" for name, text in FEATURE_HELP.items())
    + "."
)
Features = Annotated[FeatureSet, typer.Option("--features", help=FEATURES_HELP)]
#: The default of every --features option.
DEFAULT_FEATURE_SET = FeatureSet[DEFAULT_FEATURES]
