"""Per-frame labels of a user's capture from a small CSV of segments.

One segment a row, ``start,end,label``: frames ``start..end-1`` (0-based, end
exclusive) carry the action ``label`` (any text). A header row whose first
cell is not a number is skipped, blank lines and ``#`` comments are ignored.
It is the same table ``mocap cluster`` writes as ``segments.csv``, so a
clustering can be fed back as labels: its two extra columns, the start and
end in seconds (``start_s,end_s``), are read past; the frames are the reference.

The segments must cover every frame exactly once, in order: a gap or an
overlap is almost always a typo, and a frame without a label cannot be scored.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mocap_seq2seq.errors import BadDataError, DataFileError
from mocap_seq2seq.labels import normalize_action_name


@dataclass(frozen=True)
class LabelledSegments:
    """Frame labels built from a segments CSV."""

    labels: np.ndarray  # int64 (n_frames,), index into action_names
    action_names: tuple[str, ...]  # in order of first appearance
    starts: np.ndarray  # int64 (n_segments,)
    ends: np.ndarray  # int64 (n_segments,), exclusive
    segment_labels: np.ndarray  # int64 (n_segments,)


def read_segments_csv(path: str | os.PathLike[str], n_frames: int) -> LabelledSegments:
    """Read ``start,end,label`` rows and turn them into one label per frame.

    Args:
        path: the CSV file.
        n_frames: frames of the sequence the labels belong to; the segments
            must cover ``0..n_frames-1`` exactly.

    Labels are the user's names, spaces tidied and nothing else: the alias
    merge of the CMU ground truth (``walk`` -> ``walking``) is not applied.

    Example:
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = file.write_text("start,end,label\\n0,3,walk\\n3,5,jump\\n")
    >>> found = read_segments_csv(file, 5)
    >>> found.labels.tolist(), found.action_names
    ([0, 0, 0, 1, 1], ('walk', 'jump'))
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(
            f"Cannot read the labels file '{path}' ({error}).",
            "a UTF-8 CSV of start,end,label rows",
        ) from None
    rows: list[tuple[int, int, int, str]] = []  # line, start, end, name
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in cells]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and not _is_int(cells[0]):
            continue  # a header
        if len(cells) not in (3, 5):
            raise BadDataError(
                f"{path.name} line {number}: {len(cells)} cells.",
                "start,end,label (and start_s,end_s, as segments.csv writes them)",
            )
        if not (_is_int(cells[0]) and _is_int(cells[1])):
            raise BadDataError(
                f"{path.name} line {number}: start and end must be whole numbers, "
                f"got {cells[0]!r} and {cells[1]!r}.",
                "0-based frame numbers, end exclusive",
            )
        if not cells[2]:
            raise BadDataError(f"{path.name} line {number}: the label is empty.", "an action name")
        name = normalize_action_name(cells[2], aliases=False)  # the user's names, no CMU merge
        rows.append((number, int(cells[0]), int(cells[1]), name))
    if not rows:
        raise BadDataError(f"{path.name} holds no segments.", "start,end,label rows")
    expected_start = 0
    for number, start, end, _ in rows:
        if start != expected_start:
            what = "leaves a gap before it" if start > expected_start else "overlaps the previous"
            raise BadDataError(
                f"{path.name} line {number}: the segment starting at {start} {what} "
                f"(the previous one ends at {expected_start}).",
                "segments that follow each other without gaps or overlaps",
            )
        if end <= start:
            raise BadDataError(
                f"{path.name} line {number}: end {end} is not after start {start}.",
                "end > start (end is exclusive)",
            )
        expected_start = end
    if expected_start != n_frames:
        raise BadDataError(
            f"{path.name}: the segments end at frame {expected_start}, but the sequence has "
            f"{n_frames} frames.",
            f"segments covering 0..{n_frames} (end exclusive)",
        )
    names = tuple(dict.fromkeys(name for *_, name in rows))
    starts = np.array([start for _, start, _, _ in rows], dtype=np.int64)
    ends = np.array([end for _, _, end, _ in rows], dtype=np.int64)
    values = np.array([names.index(name) for *_, name in rows], dtype=np.int64)
    return LabelledSegments(np.repeat(values, ends - starts), names, starts, ends, values)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
