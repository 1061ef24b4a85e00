"""Bring your own motion capture: BVH, ASF/AMC and Human3.6M files into the toolkit's HDF5.

Every format ends in the layout of the shipped CMU data (see
:mod:`mocap_seq2seq.data.store`): frames of exponential-map channels with the root
position in columns 0-2 and the root orientation in 3-5, the frame rate, and
the skeleton where the format has one, so that training, embedding,
clustering, evaluation and the skeleton animation work on the result as on
the shipped data. The parsers live in :mod:`mocap_seq2seq.data.formats`.

Which reader applies is decided from the paths given:

* ``*.bvh`` files: one sequence each (all must share one joint tree; the
  collection stores the first file's offsets, which are only used to draw);
* ``*.amc`` files with one ``*.asf`` skeleton: one sequence per AMC file;
* a folder of Human3.6M subjects (``S1`` .. ``S11`` holding
  ``<action>_<subaction>.txt``), or such ``*.txt`` files: single-action takes,
  numbered per action, ready for case-(i) concatenation;
* a folder laid out like the CMU release: :func:`mocap_seq2seq.data.store.convert_cmu`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mocap_seq2seq.data.formats.segments_csv import read_segments_csv
from mocap_seq2seq.data.store import SegmentTable, write_collection
from mocap_seq2seq.data.store import Sequence as StoredSequence
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.skeleton import Skeleton
from mocap_seq2seq.units import check_frame_rate, require_frame_rate

FORMATS = ("bvh", "asf-amc", "h36m")


@dataclass(frozen=True)
class ImportPlan:
    """What :func:`plan_import` found: the format and the files, in order."""

    format: str
    files: tuple[Path, ...]
    asf: Path | None = None


def plan_import(
    paths: Sequence[str | os.PathLike[str]], asf: str | os.PathLike[str] | None = None
) -> ImportPlan:
    """Decide the format of the given paths, refusing mixtures and unknown kinds.

    Args:
        paths: BVH files; AMC files (plus their ASF, here or as ``asf``); a
            Human3.6M folder or its ``.txt`` files.
        asf: the ASF skeleton of AMC files, when not among ``paths``.
    """
    items = [Path(p) for p in paths]
    if not items:
        raise UsageError("Nothing to convert.", "files or a folder")
    missing = [p for p in items if not p.exists()]
    if missing:
        raise UsageError(f"'{missing[0]}' does not exist.", "existing files or folders")
    if len(items) == 1 and items[0].is_dir():
        files = _h36m_files(items[0])
        if not files:
            raise UsageError(
                f"'{items[0]}' holds neither the CMU layout nor Human3.6M subject folders.",
                "actions/ or subject86/ (CMU), or S1..S11 with <action>_<n>.txt (Human3.6M)",
            )
        return ImportPlan("h36m", tuple(files))
    if any(p.is_dir() for p in items):
        raise UsageError("Give either one folder or files, not both.", "one folder, or files")
    suffixes = {p.suffix.lower() for p in items}
    asf_files = [p for p in items if p.suffix.lower() == ".asf"]
    if asf is not None:
        asf_files.append(Path(asf))
    if asf is not None and not suffixes <= {".amc", ".asf"}:
        raise UsageError(
            "--asf gives the skeleton of AMC files, and no .amc file is being converted.",
            "AMC files with --asf",
        )
    if suffixes <= {".bvh"}:
        return ImportPlan("bvh", tuple(items))
    if suffixes <= {".amc", ".asf"}:
        amc = tuple(p for p in items if p.suffix.lower() == ".amc")
        if len(asf_files) != 1 or not amc:
            raise UsageError(
                f"AMC motion needs exactly one ASF skeleton; got {len(asf_files)} ASF and "
                f"{len(amc)} AMC files.",
                "one .asf (among the files or with --asf) and one or more .amc",
            )
        return ImportPlan("asf-amc", amc, asf_files[0])
    if suffixes <= {".txt"}:
        return ImportPlan("h36m", tuple(items))
    raise UsageError(
        f"Cannot tell the format of {', '.join(sorted(suffixes))} files.",
        ".bvh, .asf + .amc, Human3.6M .txt (or a folder)",
    )


def _h36m_files(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.glob("S*/*.txt") if p.parent.name[1:].isdigit()),
        key=lambda p: (int(p.parent.name[1:]), p.name),
    )


def import_motion(
    paths: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    asf: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
    action: str | None = None,
    frame_rate: float | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Convert BVH, ASF/AMC or Human3.6M files into one HDF5 collection, atomically.

    Args:
        paths: what to convert (see :func:`plan_import`).
        output: the ``.h5`` file to write.
        asf: the ASF skeleton of AMC files, when not among ``paths``.
        labels: a ``start,end,label`` CSV (:mod:`mocap_seq2seq.data.formats.segments_csv`)
            with the ground truth of the one sequence converted.
        action: name every converted sequence a take of this action (takes
            numbered in the order given), so that ``--actions`` can use them.
        frame_rate: frames per second (``--frame-rate``): overrides what the
            files state, and is needed where they state none (AMC); a file
            without a rate and without it is refused.
        overwrite: replace an existing output.
        progress: called with each file name as it is read.
    """
    plan = plan_import(paths, asf)
    output = Path(output)
    if output.exists() and not overwrite:
        from mocap_seq2seq.errors import OutputExistsError

        raise OutputExistsError(
            f"'{output}' already exists.", fix="Pass --overwrite to replace it."
        )
    if labels is not None and len(plan.files) != 1:
        raise UsageError(
            f"--labels gives the ground truth of one sequence, but {len(plan.files)} files "
            "are being converted.",
            "one motion file with --labels",
        )
    if frame_rate is not None and not (np.isfinite(frame_rate) and frame_rate > 0):
        raise UsageError(f"--frame-rate {frame_rate} is not a positive number.")
    if plan.format == "asf-amc" and frame_rate is None:  # AMC files never say: before reading
        require_frame_rate(None, f"'{plan.files[0].name}'", " (AMC files state none)")
    if plan.format == "h36m":
        sequences, skeleton, description = _read_h36m(plan.files, progress)
    else:
        sequences, skeleton, description = _read_skeletal(plan, frame_rate, action, progress)
    # Every stored sequence has a rate: --frame-rate over the file's, else refused.
    sequences = [
        replace(
            sequence,
            frame_rate=check_frame_rate(frame_rate)
            if frame_rate is not None
            else require_frame_rate(sequence.frame_rate, f"'{sequence.source_file}'"),
        )
        for sequence in sequences
    ]
    if labels is not None:
        sequences = [_with_labels(sequences[0], Path(labels))]
    return write_collection(
        output,
        sequences,
        collection=output.stem,
        description=description,
        skeleton=skeleton,
        overwrite=overwrite,
    )


def _read_skeletal(
    plan: ImportPlan,
    frame_rate: float | None,
    action: str | None,
    progress: Callable[[str], None] | None,
) -> tuple[list[StoredSequence], Skeleton, str]:
    from mocap_seq2seq.data.formats import asf_amc, bvh

    asf_skeleton = None
    if plan.format == "asf-amc":
        assert plan.asf is not None
        if progress:
            progress(plan.asf.name)
        asf_skeleton = asf_amc.read_asf(plan.asf)
    sequences, skeleton = [], None
    names = [_sequence_name(path) for path in plan.files]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise UsageError(
            f"Two files would both become sequence '{duplicated[0]}'.",
            "files with distinct names",
        )
    for take, (path, name) in enumerate(zip(plan.files, names), start=1):
        if progress:
            progress(path.name)
        if plan.format == "bvh":
            motion = bvh.read_bvh(path)
        else:
            motion = asf_amc.read_amc(path, asf_skeleton, frame_rate=frame_rate)
        if skeleton is None:
            skeleton = motion.skeleton
        elif not _same_tree(skeleton, motion.skeleton):
            raise UsageError(
                f"'{path.name}' has another joint tree than '{plan.files[0].name}'.",
                "files of one skeleton in one collection",
                "Convert them into separate files.",
            )
        rate = motion.frame_rate if motion.frame_rate is not None else frame_rate
        sequences.append(
            StoredSequence(
                name=name,
                kind="take" if action else "sequence",
                n_frames=int(motion.frames.shape[0]),
                frames=motion.frames,
                frame_rate=rate,
                action=action,
                take=take if action else None,
                source_file=path.name,
            )
        )
    assert skeleton is not None
    kind = (
        "BVH" if plan.format == "bvh" else f"ASF/AMC (skeleton {plan.asf.name if plan.asf else ''})"
    )
    return sequences, skeleton, f"Converted from {kind} by mocap convert."


def _read_h36m(
    files: Sequence[Path], progress: Callable[[str], None] | None
) -> tuple[list[StoredSequence], Skeleton, str]:
    from mocap_seq2seq.data.formats import h36m

    entries = []
    for path in files:
        stem = path.stem
        action, _, sub = stem.rpartition("_")
        if not action or not sub.isdigit():
            raise UsageError(
                f"Human3.6M file name '{path.name}' is not <action>_<subaction>.txt.",
                "names such as walking_1.txt",
            )
        subject = path.parent.name if path.parent.name[:1] == "S" else ""
        entries.append((action.lower(), subject, int(sub), path))
    counters: dict[str, int] = {}
    sequences = []
    for action, subject, sub, path in entries:
        if progress:
            progress(f"{subject}/{path.name}" if subject else path.name)
        frames = h36m.read_h36m_text(path)
        counters[action] = counters.get(action, 0) + 1
        name = f"{subject}_{action}_{sub}" if subject else f"{action}_{sub}"
        sequences.append(
            StoredSequence(
                name=name,
                kind="take",
                n_frames=int(frames.shape[0]),
                frames=frames,
                frame_rate=h36m.H36M_FRAME_RATE,
                action=action,
                take=counters[action],
                source_file=f"{subject}/{path.name}" if subject else path.name,
            )
        )
    names = [s.name for s in sequences]
    if len(set(names)) != len(names):
        raise UsageError("Two Human3.6M files map to one sequence name.", "distinct files")
    description = (
        "Human3.6M exponential-map channels (99 per frame, 50 fps), converted by mocap "
        "convert; takes numbered per action in subject order."
    )
    return sequences, h36m.h36m_skeleton(), description


def _sequence_name(path: Path) -> str:
    name = path.stem.strip().replace("/", "_")
    return name if name not in ("", ".", "..") else "sequence"


def _same_tree(a: Skeleton, b: Skeleton) -> bool:
    return a.joint_names == b.joint_names and np.array_equal(a.parents, b.parents)


def _with_labels(sequence: StoredSequence, path: Path) -> StoredSequence:
    found = read_segments_csv(path, sequence.n_frames)
    n = found.starts.size
    minus_one = np.full(n, -1, dtype=np.int64)
    table = SegmentTable(
        start=found.starts,
        end=found.ends,
        earliest=minus_one,
        latest=minus_one,
        label=found.segment_labels,
    )
    return replace(sequence, labels=found.labels, action_names=found.action_names, segments=table)
