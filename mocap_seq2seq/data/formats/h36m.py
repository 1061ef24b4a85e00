"""Human3.6M exponential-map text files, as released with Fragkiadaki et al. (2015) and
used by Martinez et al. (2017).

One frame a line, 99 comma-separated numbers, 50 frames per second (the
capture's native rate; Martinez et al. keep every other frame, which this
reader does not do). The layout is the toolkit's own (see
:mod:`mocap_seq2seq.data.formats.motion`): columns 0-2 the root position
(millimetres), then 32 joints of three exponential-map values each, joint 0
being the root orientation. The rotations are already in the row-vector
convention of :func:`mocap_seq2seq.motion.skeleton.forward_kinematics` (the ``fkl``
of Martinez et al.), so the frames need no conversion.

Two differences from Martinez et al.'s ``fkl``, both deliberate: it also adds
some exponential-map values (through its ``rotInd`` table, a leftover from an
Euler-angle format) to the bone offsets as if they were millimetres, which
moves joints by at most a few millimetres; and it swaps the y and z
coordinates for display. Positions here are the raw y-up coordinates.

The release stores subjects as folders ``S1`` .. ``S11`` holding
``<action>_<subaction>.txt`` files, e.g. ``S5/walkingtogether_2.txt``.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mocap_seq2seq.data.formats.motion import (
    ParsedMotion,
    expmap_layout_skeleton,
    parse_numbers,
    read_lines,
)
from mocap_seq2seq.errors import BadDataError, DataFileError
from mocap_seq2seq.motion.skeleton import Skeleton

#: Frames per second of the released exponential-map files.
H36M_FRAME_RATE = 50.0
#: Numbers per frame: root position, then 32 exponential maps.
H36M_N_CHANNELS = 99

# The 32-joint tree and its bone offsets (millimetres, y up), from
# _some_variables() in src/forward_kinematics.py of Martinez et al.'s
# github.com/una-dinosauria/human-motion-prediction (the same figures in the
# commits d0d0592 and 2d2b473), itself from exp2xyz.m of Jain et al.'s
# RNNexp code. Joint names are those of the Human3.6M metadata as other
# public loaders list them; the release calls every end site "Site", made
# unique here by the parent's name.
_PARENTS = (
    -1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14,
    12, 16, 17, 18, 19, 20, 19, 22, 12, 24, 25, 26, 27, 28, 27, 30,
)  # fmt: skip
_OFFSETS = (
    (0.0, 0.0, 0.0),
    (-132.948591, 0.0, 0.0),
    (0.0, -442.894612, 0.0),
    (0.0, -454.206447, 0.0),
    (0.0, 0.0, 162.767078),
    (0.0, 0.0, 74.999437),
    (132.948826, 0.0, 0.0),
    (0.0, -442.894413, 0.0),
    (0.0, -454.206590, 0.0),
    (0.0, 0.0, 162.767426),
    (0.0, 0.0, 74.999948),
    (0.0, 0.1, 0.0),
    (0.0, 233.383263, 0.0),
    (0.0, 257.077681, 0.0),
    (0.0, 121.134938, 0.0),
    (0.0, 115.002227, 0.0),
    (0.0, 257.077681, 0.0),
    (0.0, 151.034226, 0.0),
    (0.0, 278.882773, 0.0),
    (0.0, 251.733451, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 0.0, 99.999627),
    (0.0, 100.000188, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 257.077681, 0.0),
    (0.0, 151.031437, 0.0),
    (0.0, 278.892924, 0.0),
    (0.0, 251.728680, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 0.0, 99.999888),
    (0.0, 137.499922, 0.0),
    (0.0, 0.0, 0.0),
)
_JOINT_NAMES = (
    "Hips",
    "RightUpLeg",
    "RightLeg",
    "RightFoot",
    "RightToeBase",
    "RightToeBase_Site",
    "LeftUpLeg",
    "LeftLeg",
    "LeftFoot",
    "LeftToeBase",
    "LeftToeBase_Site",
    "Spine",
    "Spine1",
    "Neck",
    "Head",
    "Head_Site",
    "LeftShoulder",
    "LeftArm",
    "LeftForeArm",
    "LeftHand",
    "LeftHandThumb",
    "LeftHandThumb_Site",
    "L_Wrist_End",
    "L_Wrist_End_Site",
    "RightShoulder",
    "RightArm",
    "RightForeArm",
    "RightHand",
    "RightHandThumb",
    "RightHandThumb_Site",
    "R_Wrist_End",
    "R_Wrist_End_Site",
)

_EXPECTED = f"one frame a line, {H36M_N_CHANNELS} comma-separated numbers"


class H36mTake(NamedTuple):
    """One exponential-map file of the release: ``S<subject>/<action>_<subaction>.txt``."""

    subject: str  # "S1" .. "S11"
    action: str  # e.g. "walkingtogether"
    subaction: int  # 1 or 2
    path: Path


@functools.cache
def h36m_skeleton() -> Skeleton:
    """The 32-joint Human3.6M tree (offsets in millimetres, y up).

    Example:
    >>> tree = h36m_skeleton()
    >>> tree.n_joints, tree.n_channels, tree.joint_names[1], tree.joint_names[6]
    (32, 99, 'RightUpLeg', 'LeftUpLeg')
    """
    return expmap_layout_skeleton(_JOINT_NAMES, _PARENTS, np.array(_OFFSETS))


def read_h36m_text(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a Human3.6M exponential-map text file into ``(n_frames, 99)`` float32.

    Blank lines are skipped; every other line must hold 99 finite numbers.

    Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "walking_1.txt"
    >>> _ = path.write_text(",".join(["0"] * 99) + "\\n" + ",".join(["0.5"] * 99) + "\\n")
    >>> frames = read_h36m_text(path)
    >>> frames.shape, frames.dtype.name, float(frames[1, 98])
    ((2, 99), 'float32', 0.5)
    """
    path = Path(path)
    # Every subject folder holds a walking_1.txt: name the folder too (S9/walking_1.txt).
    name = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    frames = []
    for number, line in enumerate(read_lines(path, _EXPECTED), start=1):
        text = line.strip().rstrip(",")  # some exports end each line with a comma
        if not text:
            continue
        tokens = [token.strip() for token in text.split(",")]
        if len(tokens) != H36M_N_CHANNELS:
            raise BadDataError(
                f"{name} line {number}: {len(tokens)} values, expected {H36M_N_CHANNELS}.",
                _EXPECTED,
            )
        frames.append(parse_numbers(tokens, f"{name} line {number}"))
    if not frames:
        raise BadDataError(f"{name} holds no frames.", _EXPECTED)
    return np.array(frames, dtype=np.float32)


def read_h36m(path: str | os.PathLike[str]) -> ParsedMotion:
    """Read a Human3.6M text file as a :class:`ParsedMotion` (skeleton, frames, 50 fps)."""
    return ParsedMotion(
        skeleton=h36m_skeleton(),
        frames=read_h36m_text(path),
        frame_rate=H36M_FRAME_RATE,
        source_file=str(path),
    )


def scan_h36m_folder(root: str | os.PathLike[str]) -> list[H36mTake]:
    """List the takes of a folder laid out like the release (``S1/walking_1.txt`` ...).

    Returns:
        One :class:`H36mTake` per file, sorted by subject number, action and subaction.

    Example:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "S11").mkdir(); (root / "S5").mkdir()
    >>> for name in ("S11/walking_1.txt", "S5/walkingtogether_2.txt", "S5/notes.md"):
    ...     _ = (root / name).write_text("")
    >>> [(take.subject, take.action, take.subaction) for take in scan_h36m_folder(root)]
    [('S5', 'walkingtogether', 2), ('S11', 'walking', 1)]
    """
    folder = Path(root)
    if not folder.is_dir():
        raise DataFileError(
            f"Human3.6M folder '{folder}' does not exist.",
            "a folder holding subject folders S1 .. S11",
            "Pass the folder that holds S1, S5, ... (the release's 'h3.6m/dataset').",
        )
    takes = []
    for subject in folder.iterdir():
        subject_match = re.fullmatch(r"S(\d+)", subject.name)
        if subject_match is None or not subject.is_dir():
            continue
        for path in subject.glob("*.txt"):
            match = re.fullmatch(r"([A-Za-z]+)_(\d+)\.txt", path.name)
            if match is not None:
                key = (int(subject_match.group(1)), match.group(1), int(match.group(2)))
                takes.append((key, H36mTake(subject.name, match.group(1), key[2], path)))
    if not takes:
        raise DataFileError(
            f"Human3.6M folder '{folder}' holds no takes.",
            "subject folders S<n> with <action>_<subaction>.txt files, e.g. S1/walking_1.txt",
            "Pass the folder that holds S1, S5, ... (the release's 'h3.6m/dataset').",
        )
    return [take for _, take in sorted(takes, key=lambda item: item[0])]
