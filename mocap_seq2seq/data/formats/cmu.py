"""Readers for the raw CMU files the toolkit ships converted (see data/README.md).

Two sources, both read-only inputs of :func:`mocap_seq2seq.data.store.convert_cmu`:

* single-action takes (case i): text, one frame a line, 117 comma-separated
  exponential-map values (Li et al. 2018 release), frame rate not stated;
* subject-86 trials (case ii): MATLAB ``.mat`` files holding ``expmapchannels``
  of shape ``(n_frames, 96)`` at 120 frames per second, with the hand-made
  ground truth of Barbic et al. (2004) in text files.

The ground-truth quirks (stray spaces in names, ``walk`` vs ``walking``,
unordered triples, an annotated total one off from the data) are resolved
here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mocap_seq2seq.errors import BadDataError, DataFileError
from mocap_seq2seq.labels import normalize_action_name
from mocap_seq2seq.validation import check_float32_range, check_frames

#: Channels of one frame in the single-action (Li et al.) exponential-map format.
N_CHANNELS_ACTIONS = 117
#: Channels of one frame in the subject-86 exponential-map format.
N_CHANNELS_SUBJECT86 = 96
#: Frame rate of the subject-86 captures.
SUBJECT86_FRAME_RATE = 120.0
#: Frame rate of the single-action takes of Li et al. (case i). Their release
#: does not state it; the CMU database captures at 120 Hz, and the takes' gait
#: agrees: a walking stride of 128-145 frames (1.1-1.2 s, 99-112 steps a minute
#: at 120 fps; at 60 fps it would be 50-56) and a running stride of 74-93 frames
#: (155-195 steps a minute at 120 fps). ``bench/cmu_actions_rate.py`` measures it.
#: Applied when reading (the shipped file stores NaN, as converted, so that its
#: SHA-256 and every run that recorded it stay valid).
ACTIONS_FRAME_RATE = 120.0
#: Rates applied when reading a collection (by its ``collection`` attribute)
#: whose sequences store none.
DOCUMENTED_FRAME_RATES = {"cmu_actions": ACTIONS_FRAME_RATE}
#: The eight case-(i) actions.
CMU_ACTIONS = (
    "walking",
    "running",
    "jumping",
    "basketball",
    "soccer",
    "washwindow",
    "basketball_signal",
    "directing_traffic",
)


@dataclass(frozen=True)
class Transition:
    """One annotated segment and the transition that ends it.

    ``best`` is the 0-based first frame of the next segment; ``earliest`` and
    ``latest`` bound the acceptable transition (``min``/``max`` of the
    annotated triple, which is not always ordered). The last segment of a
    trial has no transition: its three frames are ``None``.
    """

    action: str
    earliest: int | None
    best: int | None
    latest: int | None


@dataclass(frozen=True)
class GroundTruth:
    """A parsed ground-truth file: segments in order and the annotated frame count."""

    segments: tuple[Transition, ...]
    annotated_n_frames: int


@dataclass(frozen=True)
class TakeFile:
    """A single-action take found in a CMU-layout folder."""

    action: str
    take: int
    path: Path


@dataclass(frozen=True)
class TrialFiles:
    """A subject-86 trial: its ground truth and, when available, its frames."""

    trial: str
    ground_truth_path: Path
    frames_path: Path | None


@dataclass(frozen=True)
class CmuFolder:
    """What a folder laid out like ``../shared/cmu`` holds."""

    takes: tuple[TakeFile, ...]
    trials: tuple[TrialFiles, ...]
    skeleton_path: Path | None


def read_expmap_text(path: str | Path, n_channels: int = N_CHANNELS_ACTIONS) -> np.ndarray:
    """Read a comma-separated exponential-map take into ``(n_frames, n_channels)`` float32."""
    path = Path(path)
    try:
        frames = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as error:
        raise DataFileError(
            f"Cannot read '{path}' as comma-separated numbers: {error}.",
            f"one frame a line, {n_channels} comma-separated values",
            "Check that the file is an exponential-map text take.",
        ) from error
    return _check_frames(frames, n_channels, path)


def read_subject86_mat(path: str | Path) -> np.ndarray:
    """Read ``expmapchannels`` of a subject-86 ``.mat`` file as ``(n_frames, 96)`` float32."""
    from scipy.io import loadmat  # scipy.io is slow to import; only the converter needs it

    path = Path(path)
    try:
        content = loadmat(path, variable_names=["expmapchannels"])
    except (OSError, ValueError, NotImplementedError) as error:
        raise DataFileError(
            f"Cannot read '{path}' as a MATLAB file: {error}.",
            "a MATLAB v5 file with a variable 'expmapchannels'",
        ) from error
    if "expmapchannels" not in content:
        raise DataFileError(
            f"'{path}' has no variable 'expmapchannels'.",
            "a MATLAB file with the (n_frames, 96) exponential-map channels of subject 86",
        )
    return _check_frames(np.asarray(content["expmapchannels"]), N_CHANNELS_SUBJECT86, path)


def read_ground_truth(path: str | Path) -> GroundTruth:
    """Parse a Barbic et al. ground-truth file (format in ``key.txt``).

    The file holds the number of segments, then for each segment a line
    ``<index> <name>`` followed, except for the last, by a line with the
    earliest, best and latest transition frame; the last line is the total
    frame count as annotated.

    Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gt.txt"
    >>> _ = path.write_text("2\\r\\n1 walk \\r\\n90 100 120\\r\\n2 knee shot\\r\\n200\\r\\n")
    >>> truth = read_ground_truth(path)
    >>> [(s.action, s.best) for s in truth.segments], truth.annotated_n_frames
    ([('walking', 100), ('knee shot', None)], 200)
    """
    path = Path(path)
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(f"Cannot read ground truth '{path}': {error}.") from error
    lines = [line for line in lines if line]

    def fail(reason: str) -> DataFileError:
        return DataFileError(
            f"Ground truth '{path}' is malformed: {reason}.",
            "the format of key.txt (count, then '<index> <name>' and 'earliest best latest' lines)",
        )

    try:
        n_segments = int(lines[0])
    except (IndexError, ValueError):
        raise fail("the first line is not the number of segments") from None
    segments: list[Transition] = []
    position = 1
    for index in range(n_segments):
        match = re.fullmatch(r"(\d+)\s+(.+)", lines[position]) if position < len(lines) else None
        if match is None:
            raise fail(f"segment {index + 1} has no '<index> <name>' line")
        action = normalize_action_name(match.group(2))
        position += 1
        if index == n_segments - 1:
            segments.append(Transition(action, None, None, None))
            break
        try:
            triple = [int(value) for value in lines[position].split()]
        except (IndexError, ValueError):
            raise fail(f"segment {index + 1} has no transition frame line") from None
        if len(triple) != 3:
            raise fail(f"segment {index + 1} transition has {len(triple)} numbers, not 3")
        segments.append(Transition(action, min(triple), triple[1], max(triple)))
        position += 1
    try:
        total = int(lines[position])
    except (IndexError, ValueError):
        raise fail("the last line is not the annotated frame count") from None
    return GroundTruth(tuple(segments), total)


def scan_cmu_folder(source_dir: str | Path) -> CmuFolder:
    """List the takes and trials in a folder laid out like ``../shared/cmu``.

    Takes are ``actions/{train,test}/<action>/<action>_<n>.txt``; trials are
    ``subject86/ground_truth/NN_ground_truth.txt`` with frames, when present,
    in ``subject86/expmap/NN.mat``.
    """
    root = Path(source_dir)
    if not root.is_dir():
        raise DataFileError(
            f"Source folder '{root}' does not exist.",
            "a folder laid out like the CMU release (actions/, subject86/)",
            "Pass the folder that holds actions/ and subject86/.",
        )
    takes = []
    for path in sorted(root.glob("actions/*/*/*.txt")):
        match = re.fullmatch(r"(.+)_(\d+)\.txt", path.name)
        if match is None or match.group(1) != path.parent.name:
            continue
        takes.append(TakeFile(path.parent.name, int(match.group(2)), path))
    trials = []
    for path in sorted(root.glob("subject86/ground_truth/*_ground_truth.txt")):
        trial = path.name.split("_")[0]
        frames_path = root / "subject86" / "expmap" / f"{trial}.mat"
        trials.append(TrialFiles(trial, path, frames_path if frames_path.is_file() else None))
    if not takes and not trials:
        raise DataFileError(
            f"Source folder '{root}' holds no CMU takes or trials.",
            "actions/<split>/<action>/<action>_<n>.txt "
            "or subject86/ground_truth/NN_ground_truth.txt",
        )
    skeleton = root / "skeleton_cmu38.json"
    return CmuFolder(tuple(takes), tuple(trials), skeleton if skeleton.is_file() else None)


def _check_frames(frames: np.ndarray, n_channels: int, path: Path) -> np.ndarray:
    if frames.ndim != 2 or frames.shape[1] != n_channels:
        raise BadDataError(
            f"'{path}' has frames of shape {frames.shape}.",
            f"{n_channels} channels per frame",
        )
    frames = check_frames(
        frames, name=f"'{path}'", fix="Repair or drop the bad frames before converting."
    )
    check_float32_range(frames, name=f"'{path}'")
    return frames.astype(np.float32)
