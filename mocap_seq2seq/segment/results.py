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
    problem = _clustering_problem(metadata)
    if problem is not None:
        raise DataFileError(
            f"'{folder / CLUSTERING_FILE}' is damaged: {problem}.",
            f"a {CLUSTERING_FILE} written by `mocap cluster`",
            "Run `mocap cluster` again.",
        )
    return labels, metadata


#: Fields of clustering.json that are read back, and their types (None: may be null).
_CLUSTERING_FIELDS: dict[str, tuple[type, ...]] = {
    "embedding": (str,),
    "method": (str,),
    "k_mode": (str,),
}
_OPTIONAL_CLUSTERING_FIELDS: dict[str, tuple[type, ...]] = {
    "embedding_absolute": (str,),
    "sequence": (str, type(None)),
    "paper_protocol": (bool,),
    "parameters": (dict,),
    "features": (str,),
}


def _clustering_problem(metadata: Any) -> str | None:
    """What is wrong with a read clustering.json, or None (the one place it is checked)."""
    if not isinstance(metadata, dict):
        return f"it holds a {type(metadata).__name__}, not an object"
    for key, types in _CLUSTERING_FIELDS.items():
        if key not in metadata:
            return f"'{key}' is missing"
        if not isinstance(metadata[key], types) or not metadata[key]:
            return f"'{key}' is {json.dumps(metadata[key])}"
    for key, types in _OPTIONAL_CLUSTERING_FIELDS.items():
        if key in metadata and not isinstance(metadata[key], types):
            return f"'{key}' is {json.dumps(metadata[key])}"
    if "\0" in metadata["embedding"] or "\0" in metadata.get("embedding_absolute", ""):
        return "the embedding path holds a NUL character"
    return None


def clustering_embedding_path(folder: str | os.PathLike[str], metadata: dict[str, Any]) -> Path:
    """The embedding file a clustering came from (stored relative to the folder)."""
    relative = Path(folder) / metadata["embedding"]
    if relative.is_file() or "embedding_absolute" not in metadata:
        return relative
    return Path(metadata["embedding_absolute"])
