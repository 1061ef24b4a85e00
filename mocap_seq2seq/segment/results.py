"""Files of a clustering: per-frame labels and segments that other tools read.

A clustering folder (written atomically, file by file)::

    clustering.json   method, parameters, K mode, protocol, embedding it came from
    frame_labels.csv  frame,label (one row per frame)
    segments.csv      start,end,label (end exclusive)
    segments.json     [{"start": .., "end": .., "label": ..}, ...]
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import write_json, write_text
from mocap_seq2seq.errors import DataFileError, OutputExistsError
from mocap_seq2seq.labels import labels_to_segments

CLUSTERING_FILE = "clustering.json"
LABELS_FILE = "frame_labels.csv"
SEGMENTS_CSV = "segments.csv"
SEGMENTS_JSON = "segments.json"


def write_clustering(
    folder: str | os.PathLike[str],
    labels: np.ndarray,
    metadata: dict[str, Any],
    *,
    overwrite: bool = False,
) -> Path:
    """Write the labels, segments and metadata of a clustering into ``folder``."""
    folder = Path(folder)
    if (folder / CLUSTERING_FILE).exists() and not overwrite:
        raise OutputExistsError(
            f"'{folder}' already holds a clustering.", fix="Pass --overwrite to replace it."
        )
    segments = labels_to_segments(labels)
    frames = io.StringIO()
    writer = csv.writer(frames, lineterminator="\n")
    writer.writerow(["frame", "label"])
    writer.writerows(enumerate(int(v) for v in labels))
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["start", "end", "label"])
    writer.writerows(segments)
    write_text(folder / LABELS_FILE, frames.getvalue())
    write_text(folder / SEGMENTS_CSV, table.getvalue())
    write_json(folder / SEGMENTS_JSON, [{"start": s, "end": e, "label": v} for s, e, v in segments])
    # The metadata goes last: its presence says the folder is complete.
    write_json(folder / CLUSTERING_FILE, metadata)
    return folder


def read_clustering(folder: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Per-frame labels and metadata of a clustering folder."""
    folder = Path(folder)
    try:
        metadata = json.loads((folder / CLUSTERING_FILE).read_text())
        with open(folder / LABELS_FILE, newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        labels = np.array([int(label) for _, label in rows], dtype=np.int64)
    except (OSError, ValueError) as error:
        raise DataFileError(
            f"'{folder}' is not a complete clustering folder ({error}).",
            f"a folder written by `mocap cluster` ({CLUSTERING_FILE}, {LABELS_FILE})",
            "Run `mocap cluster` first.",
        ) from error
    if not isinstance(metadata, dict) or not {"embedding", "method", "k_mode"} <= set(metadata):
        raise DataFileError(
            f"'{folder / CLUSTERING_FILE}' lacks the embedding, method or K mode.",
            f"a {CLUSTERING_FILE} written by `mocap cluster`",
            "Run `mocap cluster` again.",
        )
    return labels, metadata


def clustering_embedding_path(folder: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """The embedding file a clustering came from (stored relative to the folder)."""
    relative = Path(folder) / metadata["embedding"]
    if relative.is_file() or "embedding_absolute" not in metadata:
        return relative
    return Path(metadata["embedding_absolute"])
