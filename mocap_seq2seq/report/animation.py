"""Moving figures: a skeleton in 3-D, or the channels, over the action bars.

The animations of a report (``mocap demo --video``, ``mocap segment
--video``) and their still frame, built on the same colour rule as
:mod:`mocap_seq2seq.report.figures`. :func:`save_animation` is the one
function here that writes a file; it writes exactly the path it is given, so
that callers make it atomic with :func:`mocap_seq2seq.atomic.atomic_path`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter, writers
from matplotlib.figure import Figure

from mocap_seq2seq.atomic import atomic_path
from mocap_seq2seq.data.sources import SequenceSource
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.motion.skeleton import Skeleton, cmu38_skeleton, forward_kinematics, up_axis
from mocap_seq2seq.report.figures import (
    Names,
    _check_finite,
    _check_length,
    _check_parents,
    _colour_key,
    _label_bar,
    _new_figure,
)

#: Animation file types and the matplotlib writer each needs.
_ANIMATION_WRITERS = {".gif": "pillow", ".mp4": "ffmpeg"}


class _SkeletonScene:
    """A figure of a moving skeleton over its label bars, redrawn one frame at a time."""

    def __init__(
        self,
        positions: np.ndarray,
        parents: Sequence[int] | np.ndarray,
        labels_true: Sequence[int] | np.ndarray | None,
        labels_pred: Sequence[int] | np.ndarray | None,
        names: Names | None,
        up_axis: int,
        follow_root: bool,
        title: str | None,
    ) -> None:
        array = np.asarray(positions, dtype=np.float64)
        if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] == 0:
            raise UsageError(
                f"The joint positions have shape {array.shape}.",
                "shape (n_frames, n_joints, 3)",
                "Compute them with forward_kinematics(skeleton, frames).",
            )
        _check_finite(array, "positions")
        if up_axis not in (0, 1, 2):
            raise UsageError(f"The up_axis is {up_axis}.", "0 (x), 1 (y) or 2 (z)")
        n_frames, n_joints, _ = array.shape
        tree = _check_parents(parents, n_joints)
        true = None
        if labels_true is not None:
            true = _check_length(labels_true, n_frames, "labels_true", "positions")
        pred = None
        if labels_pred is not None:
            pred = _check_length(labels_pred, n_frames, "labels_pred", "positions")
        # Plot axes (horizontal, horizontal, up) as a cyclic permutation of the data axes,
        # which keeps the figure right-handed (no mirrored skeletons).
        order = [(up_axis + 1) % 3, (up_axis + 2) % 3, up_axis]
        self.points = array[:, :, order]
        self.bones = [(j, int(p)) for j, p in enumerate(tree) if p >= 0]
        roots = np.flatnonzero(tree < 0)
        self.follow_root = follow_root
        self.centres = self.points[:, roots[0], :2]
        self.n_frames = n_frames
        bars = []
        if true is not None:
            bars.append((true, "truth", False))
        if pred is not None:
            # Without a truth to match to, the prediction is coloured on its own.
            bars.append((pred, "prediction", true is not None))

        self.figure = _new_figure((5.0, 5.0 + 0.45 * len(bars)), dpi=80)
        grid = self.figure.add_gridspec(1 + len(bars), 1, height_ratios=[10] + [1] * len(bars))
        self.ax = self.figure.add_subplot(grid[0], projection="3d")
        self.lines = [
            self.ax.plot([], [], [], color="#1f3b73", lw=2, marker="o", ms=2)[0] for _ in self.bones
        ]
        self._set_limits()
        self.ax.set_box_aspect((1.0, 1.0, 1.0))
        if title:
            self.ax.set_title(title)
        self.counter = self.ax.text2D(0.02, 0.95, "", transform=self.ax.transAxes)
        self.cursors = []
        if bars:
            key = _colour_key(true if true is not None else pred, pred, names, None)
            for row, (values, name, predicted) in enumerate(bars, start=1):
                bar_ax = self.figure.add_subplot(grid[row])
                colours = key.frames(values, predicted=predicted)
                _label_bar(bar_ax, colours, float(n_frames), name)
                if row < len(bars):
                    bar_ax.set_xticks([])
                self.cursors.append(bar_ax.axvline(0.0, color="black", lw=1.5))
            self.figure.legend(
                handles=key.handles, loc="outside lower center", ncols=4, fontsize="x-small"
            )

    def _set_limits(self) -> None:
        # One radius for all frames, so the body keeps its size while it moves.
        offsets = self.points[:, :, :2] - self.centres[:, None, :]
        self.radius = float(np.abs(offsets).max()) * 1.05 or 1.0
        vertical = self.points[:, :, 2]
        low, high = float(vertical.min()), float(vertical.max())
        middle = 0.5 * (low + high)
        half = max(0.5 * (high - low), self.radius)
        self.ax.set_zlim(middle - half, middle + half)
        if not self.follow_root:
            # Whole path in view: limits cover every frame.
            for axis, setter in ((0, self.ax.set_xlim), (1, self.ax.set_ylim)):
                low_h = float(self.points[:, :, axis].min())
                high_h = float(self.points[:, :, axis].max())
                mid = 0.5 * (low_h + high_h)
                span = max(0.5 * (high_h - low_h), half)
                setter(mid - span, mid + span)
        # Raw-unit tick values say nothing about a pose; the grid alone gives depth.
        for axis in (self.ax.xaxis, self.ax.yaxis, self.ax.zaxis):
            axis.set_ticklabels([])

    def draw(self, frame: int) -> list:
        """Put the skeleton and the cursors at ``frame``; return the changed artists."""
        pose = self.points[frame]
        for line, (joint, parent) in zip(self.lines, self.bones):
            segment = pose[[parent, joint]]
            line.set_data_3d(segment[:, 0], segment[:, 1], segment[:, 2])
        if self.follow_root:
            x, y = self.centres[frame]
            self.ax.set_xlim(x - self.radius, x + self.radius)
            self.ax.set_ylim(y - self.radius, y + self.radius)
        for cursor in self.cursors:
            cursor.set_xdata([frame + 0.5, frame + 0.5])
        self.counter.set_text(f"frame {frame}")
        return [*self.lines, *self.cursors, self.counter]


def skeleton_figure(
    positions: np.ndarray,
    parents: Sequence[int] | np.ndarray,
    *,
    frame: int = 0,
    labels_true: Sequence[int] | np.ndarray | None = None,
    labels_pred: Sequence[int] | np.ndarray | None = None,
    names: Names | None = None,
    up_axis: int = 1,
    follow_root: bool = True,
    title: str | None = None,
) -> Figure:
    """One frame of a skeleton in 3-D, over the truth and prediction bars with a cursor.

    The still image of :func:`skeleton_animation`, for reports and quick looks.

    Args:
        positions: float array ``(n_frames, n_joints, 3)``, from
            :func:`mocap_seq2seq.motion.skeleton.forward_kinematics`.
        parents: int array ``(n_joints,)``, ``parents[j] < j``, -1 for a root.
        frame: which frame to draw. Defaults to 0.
        labels_true: ``(n_frames,)`` ints; adds a truth bar. Defaults to None.
        labels_pred: ``(n_frames,)`` ints; adds a prediction bar, coloured by
            matched action. Defaults to None.
        names: names of the true label values. Defaults to None.
        up_axis: the data axis that points up (1: y, as in CMU and BVH). Defaults to 1.
        follow_root: keep the root centred (True) or show the whole path. Defaults to True.
        title: title of the 3-D axes. Defaults to None.

    Returns:
        Figure with a 3-D axes (one line per bone) and one axes per label bar.

    Example:
    >>> positions = np.zeros((4, 3, 3)); positions[:, 1, 1] = 1.0; positions[:, 2, 1] = 2.0
    >>> figure = skeleton_figure(positions, [-1, 0, 1], labels_true=[0, 0, 1, 1])
    >>> len(figure.axes), len(figure.axes[0].lines)
    (2, 2)
    """
    scene = _SkeletonScene(
        positions, parents, labels_true, labels_pred, names, up_axis, follow_root, title
    )
    if not 0 <= frame < scene.n_frames:
        raise UsageError(f"Frame {frame} is out of range.", f"0..{scene.n_frames - 1}")
    scene.draw(frame)
    return scene.figure


def skeleton_animation(
    positions: np.ndarray,
    parents: Sequence[int] | np.ndarray,
    *,
    labels_true: Sequence[int] | np.ndarray | None = None,
    labels_pred: Sequence[int] | np.ndarray | None = None,
    names: Names | None = None,
    fps: float = 30.0,
    max_frames: int = 200,
    up_axis: int = 1,
    follow_root: bool = True,
    title: str | None = None,
) -> FuncAnimation:
    """An animation of the moving skeleton over its action bars, with a cursor at the frame.

    Long sequences are subsampled evenly to at most ``max_frames`` drawn
    frames (a GIF of thousands of 3-D frames takes minutes), so playback runs
    faster than real time by the subsampling factor. Keep the returned object
    until it is saved: matplotlib warns when an animation is dropped unrendered.

    Args:
        positions: float array ``(n_frames, n_joints, 3)``.
        parents: int array ``(n_joints,)``.
        labels_true: ``(n_frames,)`` ints for the truth bar. Defaults to None.
        labels_pred: ``(n_frames,)`` ints for the prediction bar. Defaults to None.
        names: names of the true label values. Defaults to None.
        fps: drawn frames a second at playback. Defaults to 30.
        max_frames: most frames to draw. Defaults to 200.
        up_axis: the data axis that points up. Defaults to 1 (y).
        follow_root: keep the root centred. Defaults to True.
        title: title of the 3-D axes. Defaults to None.

    Returns:
        A ``FuncAnimation``; write it with :func:`save_animation`.

    Example:
    >>> import tempfile, pathlib
    >>> positions = np.zeros((3, 2, 3)); positions[:, 1, 1] = 1.0; positions[1, 1, 0] = 0.5
    >>> animation = skeleton_animation(positions, [-1, 0], labels_true=[0, 0, 1], fps=10)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "chain.gif"
    >>> save_animation(animation, path, dpi=20).stat().st_size > 0
    True
    """
    if not fps > 0:
        raise UsageError(f"The fps is {fps}.", "a positive number of frames a second")
    if max_frames < 1:
        raise UsageError(f"The max_frames is {max_frames}.", "at least 1")
    scene = _SkeletonScene(
        positions, parents, labels_true, labels_pred, names, up_axis, follow_root, title
    )
    stride = math.ceil(scene.n_frames / max_frames)
    shown = np.arange(0, scene.n_frames, stride)
    return FuncAnimation(
        scene.figure,
        lambda i: scene.draw(int(shown[i])),
        frames=len(shown),
        init_func=lambda: scene.draw(0),
        interval=1000.0 / fps,
        blit=False,
        repeat=True,
    )


def channel_animation(
    frames: np.ndarray,
    *,
    labels_true: Sequence[int] | np.ndarray | None = None,
    labels_pred: Sequence[int] | np.ndarray | None = None,
    names: Names | None = None,
    frame_rate: float | None = None,
    window_seconds: float = 4.0,
    fps: float = 15.0,
    max_frames: int = 150,
    title: str | None = None,
) -> FuncAnimation:
    """The channels as a heat map seen through a moving window, over the action bars.

    For sequences without a known skeleton (the subject-86 files), this is
    the honest moving picture: what the model reads, frame by frame, with
    the true and predicted actions under it and a cursor at the window's centre.

    Args:
        frames: float array ``(n_frames, n_channels)``.
        labels_true: ``(n_frames,)`` ints for the truth bar. Defaults to None.
        labels_pred: ``(n_frames,)`` ints for the prediction bar. Defaults to None.
        names: names of the true label values. Defaults to None.
        frame_rate: frames per second (the window is in seconds); 30 when unknown.
        window_seconds: width of the visible window. Defaults to 4.
        fps: drawn frames a second at playback. Defaults to 15.
        max_frames: most frames to draw (the sequence is subsampled). Defaults to 150.
        title: figure title. Defaults to None.

    Example:
    >>> import tempfile, pathlib
    >>> animation = channel_animation(np.random.default_rng(0).normal(size=(40, 5)),
    ...                               labels_true=[0] * 20 + [1] * 20, max_frames=4)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "channels.gif"
    >>> save_animation(animation, path, dpi=20).stat().st_size > 0
    True
    """
    array = np.asarray(frames, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise UsageError(
            f"The frames have shape {array.shape}.", "shape (n_frames, n_channels), frames first"
        )
    _check_finite(array, "frames")
    n_frames = array.shape[0]
    spread = array.std(axis=0)
    array = (array - array.mean(axis=0)) / np.where(spread > 1e-12, spread, 1.0)
    bars = []
    true = None
    if labels_true is not None:
        true = _check_length(labels_true, n_frames, "labels_true", "frames")
        bars.append((true, "truth", False))
    if labels_pred is not None:
        pred = _check_length(labels_pred, n_frames, "labels_pred", "frames")
        bars.append((pred, "prediction", true is not None))
    figure = _new_figure((7.0, 3.5 + 0.4 * len(bars)), dpi=80)
    grid = figure.add_gridspec(1 + len(bars), 1, height_ratios=[8] + [1] * len(bars))
    ax = figure.add_subplot(grid[0])
    ax.imshow(
        array.T,
        aspect="auto",
        interpolation="nearest",
        cmap="RdBu_r",
        vmin=-3,
        vmax=3,
        extent=(0.0, float(n_frames), array.shape[1] - 0.5, -0.5),
    )
    ax.set_ylabel("channel")
    ax.set_xticks([])
    half = 0.5 * window_seconds * (frame_rate or 30.0)
    centre_line = ax.axvline(0.0, color="black", lw=1)
    cursors = []
    if bars:
        key = _colour_key(bars[0][0], bars[-1][0] if len(bars) > 1 else None, names, None)
        for row, (values, name, predicted) in enumerate(bars, start=1):
            bar_ax = figure.add_subplot(grid[row])
            _label_bar(bar_ax, key.frames(values, predicted=predicted), float(n_frames), name)
            bar_ax.set_xticks([])
            cursors.append(bar_ax.axvline(0.0, color="black", lw=1.5))
        figure.legend(handles=key.handles, loc="outside lower center", ncols=4, fontsize="x-small")
    if title:
        figure.suptitle(title)
    stride = math.ceil(n_frames / max_frames)
    shown = np.arange(0, n_frames, stride)

    def draw(index: int) -> list:
        frame = float(shown[index])
        ax.set_xlim(frame - half, frame + half)
        centre_line.set_xdata([frame, frame])
        for cursor in cursors:
            cursor.set_xdata([frame, frame])
        return [centre_line, *cursors]

    return FuncAnimation(
        figure,
        draw,
        frames=len(shown),
        init_func=lambda: draw(0),
        interval=1000.0 / fps,
        blit=False,
        repeat=True,
    )


def save_animation(
    animation: FuncAnimation,
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    dpi: float | None = None,
) -> Path:
    """Write an animation to ``path``: GIF through Pillow, MP4 through ffmpeg.

    The one function of this module that writes a file. It writes ``path``
    directly; to make the write atomic, pass the temporary path of
    :func:`mocap_seq2seq.atomic.atomic_path` (it keeps the suffix).

    Args:
        animation: from :func:`skeleton_animation`.
        path: ``.gif`` or ``.mp4`` file to write.
        fps: frames a second of the file. Defaults to the animation's own rate.
        dpi: resolution. Defaults to the figure's.

    Returns:
        The path written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    writer_name = _ANIMATION_WRITERS.get(suffix)
    if writer_name is None:
        raise UsageError(
            f"Cannot write an animation as '{target.name}'.",
            f"one of {', '.join(sorted(_ANIMATION_WRITERS))}",
            "Use a .gif (always available) or .mp4 (needs ffmpeg) file name.",
        )
    if not writers.is_available(writer_name):
        raise UsageError(
            f"Writing '{suffix}' animations needs {writer_name}, which is not installed.",
            f"{writer_name} on the PATH",
            "Install ffmpeg (e.g. apt-get install ffmpeg) or write a .gif instead.",
        )
    # The animation keeps its playback interval (milliseconds) only privately.
    rate = fps if fps is not None else 1000.0 / float(getattr(animation, "_interval", 1000 / 30))
    writer = PillowWriter(fps=rate) if writer_name == "pillow" else FFMpegWriter(fps=rate)
    animation.save(target, writer=writer, dpi=dpi)
    return target


# ----------------------------------------------------------------------------- a sequence


def skeleton_frames(source: SequenceSource) -> tuple[Skeleton, np.ndarray] | None:
    """``(skeleton, frames)`` of a sequence ready for forward kinematics, or None.

    Frames of 114 or 117 channels without a skeleton of their own are the CMU
    38-joint layout; frames whose root position was dropped get it back at
    zero. None when the sequence has no skeleton (bone offsets) to pose.
    """
    skeleton = source.skeleton
    frames = source.frames
    if skeleton is None and frames.shape[1] in (114, 117):
        skeleton = cmu38_skeleton()
    if skeleton is None or skeleton.expmap_columns is None:
        return None
    missing = skeleton.n_channels - frames.shape[1]
    if missing == 3 and skeleton.root_position_columns is not None:
        # root channels dropped: put them back at zero
        frames = np.concatenate([np.zeros((len(frames), 3), frames.dtype), frames], 1)
    elif missing > 0:
        return None
    return skeleton, frames


def sequence_animation(source: SequenceSource, labels_pred: np.ndarray) -> FuncAnimation:
    """The moving skeleton of a sequence (or its channels, without one) over the action bars."""
    found = skeleton_frames(source)
    if found is not None:
        skeleton, frames = found
        positions = forward_kinematics(skeleton, frames)
        return skeleton_animation(
            positions,
            skeleton.parents,
            labels_true=source.labels,
            labels_pred=labels_pred,
            names=source.action_names or None,
            up_axis=up_axis(positions),
            title=source.name,
        )
    return channel_animation(
        source.frames,
        labels_true=source.labels,
        labels_pred=labels_pred,
        names=source.action_names or None,
        frame_rate=source.frame_rate,
        title=source.name,
    )


def write_sequence_animation(
    source: SequenceSource, labels_pred: np.ndarray, folder: Path, stem: str
) -> Path:
    """Write :func:`sequence_animation` atomically as ``folder/stem.mp4`` (ffmpeg) or ``.gif``."""
    suffix = ".mp4" if writers.is_available("ffmpeg") else ".gif"
    path = Path(folder) / f"{stem}{suffix}"
    animation = sequence_animation(source, labels_pred)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        save_animation(animation, temporary, dpi=60)
    return path
