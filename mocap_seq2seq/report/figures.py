"""Figures of segmentations, embeddings, training runs and skeletons: arrays in, Figure out.

Every function builds a :class:`matplotlib.figure.Figure` with its own Agg
canvas, so nothing touches pyplot's global state or the matplotlib backend,
and nothing here writes a file except :func:`save_animation` (which writes
exactly the path it is given; callers make it atomic with
:func:`mocap_seq2seq.atomic.atomic_path`). :func:`figure_to_png_bytes` turns a
figure into bytes for reports.

Colours follow one rule everywhere: each ground-truth action gets a colour,
and each predicted cluster takes the colour of the action it is matched to by
the Hungarian assignment of the overlap matrix (:func:`match_clusters_to_actions`),
so the same action looks the same in the truth and in the prediction. Clusters
left unmatched (more clusters than actions) get colours of their own.

The matching is :func:`mocap_seq2seq.segment.metrics.match_labels` (the one
behind the Hungarian accuracy) and the 3-D projection is
:func:`mocap_seq2seq.segment.projection.principal_components` (the one the
embedding stores); moving skeletons and channels are in
:mod:`mocap_seq2seq.report.animation`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.labels import check_frame_labels
from mocap_seq2seq.segment.metrics import match_labels
from mocap_seq2seq.segment.projection import principal_components
from mocap_seq2seq.units import frames_to_seconds
from mocap_seq2seq.validation import check_finite

#: Names of label values: a sequence indexed by the label value, or a mapping.
Names = Sequence[str] | Mapping[int, str]

__all__ = [
    "Names",
    "channel_heatmap",
    "cluster_bar",
    "embedding_3d",
    "embedding_panels",
    "figure_to_png_bytes",
    "match_clusters_to_actions",
    "principal_components",
    "segmentation_bars",
    "training_curves",
]


# ----------------------------------------------------------------------------- colours


def match_clusters_to_actions(
    labels_true: Sequence[int] | np.ndarray, labels_pred: Sequence[int] | np.ndarray
) -> dict[int, int]:
    """``{cluster: action}``: the colour matching, checked as the figures check labels.

    Example:
    >>> match_clusters_to_actions([0, 0, 1, 1, 2], [5, 5, 3, 3, 3])
    {3: 1, 5: 0}
    """
    true = check_frame_labels(labels_true, "labels_true")
    pred = _check_length(labels_pred, true.size, "labels_pred", "labels_true")
    return match_labels(true, pred)


def _palette(n_colours: int) -> np.ndarray:
    """``(n_colours, 3)`` distinct RGB colours: tab10, then tab20, then evenly spaced hues."""
    if n_colours <= 10:
        return np.asarray(colormaps["tab10"].colors)[:n_colours, :3]
    if n_colours <= 20:
        return np.asarray(colormaps["tab20"].colors)[:n_colours, :3]
    return colormaps["hsv"](np.linspace(0.0, 1.0, n_colours, endpoint=False))[:, :3]


@dataclass(frozen=True)
class _ColourKey:
    """Colours of true actions and predicted clusters, and the legend that explains them."""

    true_colours: dict[int, np.ndarray]
    pred_colours: dict[int, np.ndarray]
    handles: list[Patch]

    def frames(self, labels: np.ndarray, predicted: bool = False) -> np.ndarray:
        """RGB colour of every frame, ``(n_frames, 3)``."""
        table = self.pred_colours if predicted else self.true_colours
        return np.array([table[int(value)] for value in labels]).reshape(labels.size, 3)


def _colour_key(
    labels_true: np.ndarray,
    labels_pred: np.ndarray | None,
    action_names: Names | None,
    cluster_names: Names | None,
) -> _ColourKey:
    actions = np.unique(labels_true)
    matching = {} if labels_pred is None else match_clusters_to_actions(labels_true, labels_pred)
    clusters = np.array([]) if labels_pred is None else np.unique(labels_pred)
    unmatched = [int(c) for c in clusters if int(c) not in matching]
    colours = _palette(actions.size + len(unmatched))
    true_colours = {int(a): colours[i] for i, a in enumerate(actions)}
    pred_colours = {c: true_colours[a] for c, a in matching.items()}
    pred_colours.update({c: colours[actions.size + i] for i, c in enumerate(unmatched)})
    handles = [
        Patch(color=true_colours[int(a)], label=_name(action_names, int(a), "action"))
        for a in actions
    ]
    handles += [
        Patch(color=pred_colours[c], label=_name(cluster_names, c, "cluster") + " (unmatched)")
        for c in unmatched
    ]
    return _ColourKey(true_colours, pred_colours, handles)


def _name(names: Names | None, value: int, kind: str) -> str:
    if names is None:
        return f"{kind} {value}"
    try:
        if isinstance(names, Mapping):
            return str(names[value])
        if value < 0:
            raise IndexError(value)
        return str(names[value])
    except (KeyError, IndexError):
        raise UsageError(
            f"No name is given for {kind} label {value}.",
            "a name for every label value (a list indexed by label, or a dict)",
            "Pass names that cover all labels, or none.",
        ) from None


# ----------------------------------------------------------------------------- validation


def _check_length(
    labels: Sequence[int] | np.ndarray, n_frames: int, name: str, other: str
) -> np.ndarray:
    array = check_frame_labels(labels, name)
    if array.size != n_frames:
        raise UsageError(
            f"The '{name}' have {array.size} frames but the '{other}' have {n_frames}.",
            "one label per frame of the same sequence",
            "Pass arrays of the same sequence (same number of frames).",
        )
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    check_finite(array, name=f"The '{name}'", fix="Clean them first.")


def _check_points(points: np.ndarray) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3 or array.shape[0] == 0:
        raise UsageError(
            f"The embedding points have shape {array.shape}.",
            "shape (n_frames, 3)",
            "Project higher-dimensional states first, e.g. with principal_components(states).",
        )
    _check_finite(array, "points")
    return array


def _check_parents(parents: Sequence[int] | np.ndarray, n_joints: int) -> np.ndarray:
    array = np.asarray(parents, dtype=np.int64)
    if array.shape != (n_joints,) or np.any(array >= np.arange(n_joints)) or np.any(array < -1):
        raise UsageError(
            f"The parents {array.tolist()} do not describe a tree of {n_joints} joints.",
            f"{n_joints} parents with parents[j] < j and -1 for a root",
            "Pass skeleton.parents of the skeleton the positions came from.",
        )
    return array


# ----------------------------------------------------------------------------- helpers


def _new_figure(
    size: tuple[float, float], dpi: float = 100, layout: str | None = "constrained"
) -> Figure:
    # An explicit Agg canvas: figures render and save without pyplot or a backend switch.
    figure = Figure(figsize=size, dpi=dpi, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def _time_axis(n_frames: int, frame_rate: float | None) -> tuple[float, str]:
    if frame_rate is None:
        return float(n_frames), "frame"
    if not frame_rate > 0:
        raise UsageError(f"The frame_rate is {frame_rate}.", "a positive number of frames a second")
    return frames_to_seconds(n_frames, frame_rate), "time (s)"


def _label_bar(ax: Axes, colours: np.ndarray, end: float, label: str) -> None:
    """Draw one frame-coloured horizontal bar; ``colours`` is ``(n_frames, 3)``."""
    ax.imshow(
        colours[None, :, :],
        aspect="auto",
        interpolation="nearest",
        extent=(0.0, end, 0.0, 1.0),
    )
    ax.set_yticks([])
    ax.set_ylabel(label, rotation=0, ha="right", va="center")


# ----------------------------------------------------------------------------- figures


def segmentation_bars(
    labels_true: Sequence[int] | np.ndarray,
    labels_pred: Sequence[int] | np.ndarray,
    *,
    action_names: Names | None = None,
    cluster_names: Names | None = None,
    frame_rate: float | None = None,
    title: str | None = None,
) -> Figure:
    """Two horizontal bars, truth above prediction, one colour per action.

    Predicted clusters take the colour of the action they are matched to
    (Hungarian assignment of the overlap), so agreement is visible at a
    glance as equal colours at the same time.

    Args:
        labels_true: ground-truth labels, ``(n_frames,)`` ints.
        labels_pred: predicted labels, ``(n_frames,)`` ints.
        action_names: names of true label values (list indexed by label, or
            dict). Defaults to "action <value>".
        cluster_names: names of predicted label values, shown for clusters
            that match no action. Defaults to "cluster <value>".
        frame_rate: frames per second; the x axis is in seconds when given,
            in frames otherwise. Defaults to None.
        title: figure title. Defaults to None.

    Returns:
        Figure with two axes (truth, prediction) and a legend of actions.

    Example:
    >>> figure = segmentation_bars([0, 0, 1, 1], [7, 7, 7, 2], action_names=["walk", "run"])
    >>> len(figure.axes)
    2
    """
    true = check_frame_labels(labels_true, "labels_true")
    pred = _check_length(labels_pred, true.size, "labels_pred", "labels_true")
    if true.size == 0:
        raise UsageError("The labels are empty.", "at least one frame")
    key = _colour_key(true, pred, action_names, cluster_names)
    end, unit = _time_axis(true.size, frame_rate)
    figure = _new_figure((8.0, 2.2))
    axes_true, axes_pred = figure.subplots(2, 1, sharex=True)
    _label_bar(axes_true, key.frames(true), end, "truth")
    _label_bar(axes_pred, key.frames(pred, predicted=True), end, "prediction")
    axes_pred.set_xlabel(unit)
    figure.legend(handles=key.handles, loc="outside right upper", fontsize="small")
    if title:
        # Over the bars, not the figure: a suptitle would run under the legend.
        axes_true.set_title(title)
    return figure


def cluster_bar(
    labels: Sequence[int] | np.ndarray,
    *,
    frame_rate: float | None = None,
    title: str | None = None,
) -> Figure:
    """One horizontal bar of predicted clusters over time, for sequences without ground truth.

    Example:
    >>> figure = cluster_bar([0, 0, 1, 1, 0], frame_rate=120.0)
    >>> len(figure.axes)
    1
    """
    values = check_frame_labels(labels, "labels")
    if values.size == 0:
        raise UsageError("The labels are empty.", "at least one frame")
    key = _colour_key(values, None, None, None)
    end, unit = _time_axis(values.size, frame_rate)
    figure = _new_figure((8.0, 1.4))
    ax = figure.subplots(1, 1)
    _label_bar(ax, key.frames(values), end, "clusters")
    ax.set_xlabel(unit)
    handles = [
        Patch(color=key.true_colours[int(v)], label=f"cluster {int(v)}") for v in np.unique(values)
    ]
    figure.legend(handles=handles, loc="outside right upper", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


def collection_bars(
    labels: Sequence[np.ndarray],
    names: Sequence[str],
    frame_rates: Sequence[float | None],
) -> Figure:
    """One bar per take, coloured by collection-wide action (the same colour in every take).

    Takes share one time axis (seconds when every take has a frame rate);
    long takes are drawn at most :data:`MAX_DRAWN_POINTS` columns wide.

    Example:
    >>> figure = collection_bars([np.array([0, 0, 1]), np.array([1, 2])], ["a", "b"], [None, None])
    >>> len(figure.axes)
    2
    """
    if not labels:
        raise UsageError("There are no takes to draw.", "at least one take")
    values = [check_frame_labels(part, f"labels of '{name}'") for part, name in zip(labels, names)]
    key = _colour_key(np.concatenate(values), None, None, None)
    seconds = all(rate for rate in frame_rates)
    ends = [
        frames_to_seconds(part.size, rate) if seconds else part.size  # type: ignore[arg-type]
        for part, rate in zip(values, frame_rates)
    ]
    longest = max(ends)
    figure = _new_figure((8.0, 0.8 + 0.35 * len(values)))
    axes = figure.subplots(len(values), 1, sharex=True, squeeze=False)[:, 0]
    for ax, part, name, end in zip(axes, values, names, ends):
        drawn = part[np.linspace(0, part.size - 1, min(part.size, MAX_DRAWN_POINTS)).astype(int)]
        _label_bar(ax, key.frames(drawn), end, name)
        ax.set_xlim(0.0, longest)
    axes[-1].set_xlabel("time (s)" if seconds else "frame")
    handles = [
        Patch(color=key.true_colours[int(v)], label=f"action {int(v) + 1}")
        for v in np.unique(np.concatenate(values))
    ]
    figure.legend(handles=handles, loc="outside right upper", fontsize="small")
    return figure


#: Most points a scatter draws; longer sequences are thinned by :func:`drawn_frames`.
MAX_DRAWN_POINTS = 20_000


def drawn_frames(labels: np.ndarray, limit: int = MAX_DRAWN_POINTS) -> np.ndarray:
    """Indices of the frames a figure draws: all of them, or about ``limit`` for long sequences.

    The rule: ``limit`` frames evenly spaced in time, plus the first frame of
    every segment (run of equal labels), so no segment vanishes from the
    figure however short it is. Drawing every point of an hour of capture
    (432,000 frames) is slow and shows nothing more.

    Example:
    >>> drawn_frames(np.array([0] * 8 + [1] + [0] * 11), limit=4).tolist()
    [0, 6, 8, 9, 13, 19]
    """
    n_frames = labels.shape[0]
    if n_frames <= limit:
        return np.arange(n_frames)
    even = np.linspace(0, n_frames - 1, limit).round().astype(np.int64)
    starts = np.flatnonzero(np.diff(labels, prepend=labels[0] - 1) != 0)
    return np.union1d(even, starts)


def _scatter_labels(
    ax: Axes,
    points: np.ndarray,
    labels: np.ndarray,
    colours: dict[int, np.ndarray],
    names: list[str],
) -> None:
    for value, name in zip(np.unique(labels), names):
        chosen = labels == value
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            points[chosen, 2],
            color=colours[int(value)],
            s=4,
            depthshade=False,
            label=name,
        )
    ax.legend(fontsize="x-small", markerscale=3, loc="upper left")


def embedding_3d(
    points: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    names: Names | None = None,
    title: str | None = None,
) -> Figure:
    """A 3-D scatter of an embedding, one colour per label.

    Args:
        points: float array ``(n_frames, 3)``, e.g. ``principal_components(states)``.
        labels: ``(n_frames,)`` ints, the colour of each point.
        names: names of label values (list indexed by label, or dict).
            Defaults to "label <value>".
        title: axes title. Defaults to None.

    Returns:
        Figure with one 3-D axes holding one scatter per label value.

    Example:
    >>> points = np.random.default_rng(0).normal(size=(20, 3))
    >>> figure = embedding_3d(points, [0] * 10 + [1] * 10, names=["walk", "run"])
    >>> len(figure.axes), len(figure.axes[0].collections)
    (1, 2)
    """
    array = _check_points(points)
    values = _check_length(labels, array.shape[0], "labels", "points")
    key = _colour_key(values, None, names, None)
    figure = _new_figure((5.0, 5.0), layout=None)
    figure.subplots_adjust(left=0.0, right=1.0, bottom=0.02, top=0.92)
    ax = figure.add_subplot(projection="3d")
    label_names = [_name(names, int(v), "label") for v in np.unique(values)]
    drawn = drawn_frames(values)
    _scatter_labels(ax, array[drawn], values[drawn], key.true_colours, label_names)
    if title:
        ax.set_title(title)
    return figure


def embedding_panels(
    points: np.ndarray,
    labels_true: Sequence[int] | np.ndarray,
    labels_pred: Sequence[int] | np.ndarray,
    *,
    action_names: Names | None = None,
    cluster_names: Names | None = None,
    title: str | None = None,
) -> Figure:
    """The same 3-D embedding twice: coloured by true action, and by predicted cluster.

    Predicted clusters take the colour of their matched action, so the two
    panels look alike exactly where the clustering is right.

    Args:
        points: float array ``(n_frames, 3)``.
        labels_true: ground-truth labels, ``(n_frames,)`` ints.
        labels_pred: predicted labels, ``(n_frames,)`` ints.
        action_names: names of true label values. Defaults to None.
        cluster_names: names of predicted label values. Defaults to None.
        title: figure title. Defaults to None.

    Returns:
        Figure with two 3-D axes.

    Example:
    >>> points = np.random.default_rng(0).normal(size=(20, 3))
    >>> figure = embedding_panels(points, [0] * 10 + [1] * 10, [1] * 12 + [0] * 8)
    >>> len(figure.axes)
    2
    """
    array = _check_points(points)
    true = _check_length(labels_true, array.shape[0], "labels_true", "points")
    pred = _check_length(labels_pred, array.shape[0], "labels_pred", "points")
    key = _colour_key(true, pred, action_names, cluster_names)
    # 3-D axes sit badly in a constrained layout (titles get clipped): place them by hand.
    figure = _new_figure((10.0, 5.0), layout=None)
    figure.subplots_adjust(left=0.0, right=1.0, bottom=0.02, top=0.9, wspace=0.0)
    ax_true = figure.add_subplot(1, 2, 1, projection="3d")
    ax_pred = figure.add_subplot(1, 2, 2, projection="3d")
    true_names = [_name(action_names, int(v), "action") for v in np.unique(true)]
    drawn = np.union1d(drawn_frames(true), drawn_frames(pred))  # the same frames in both
    _scatter_labels(ax_true, array[drawn], true[drawn], key.true_colours, true_names)
    matching = match_clusters_to_actions(true, pred)
    pred_names = [
        _name(cluster_names, int(v), "cluster")
        + (f" ({_name(action_names, matching[int(v)], 'action')})" if int(v) in matching else "")
        for v in np.unique(pred)
    ]
    _scatter_labels(ax_pred, array[drawn], pred[drawn], key.pred_colours, pred_names)
    ax_true.set_title("true actions")
    ax_pred.set_title("predicted clusters (matched colours)")
    if title:
        figure.suptitle(title)
    return figure


def training_curves(
    history: Mapping[str, Sequence[float | None]], *, title: str | None = None
) -> Figure:
    """Loss curves over training steps, with monitor scores on a second axis.

    Keys containing "loss" go on the left axis (log scale when all values
    are positive); every other key except "step" (monitor scores, the ratio
    to the zero-velocity baseline) goes on a right axis, and keys containing
    "ratio" get a dotted reference line at 1 (the baseline itself). ``None``
    or NaN entries are skipped, so sparse monitors plot as points.

    Args:
        history: ``{"step": [...], "loss": [...], ...}``, every list as long
            as "step".
        title: axes title. Defaults to None.

    Returns:
        Figure with one axes, or two (twin x) when non-loss series exist.

    Example:
    >>> history = {"step": [0, 10, 20], "loss": [1.0, 0.5, 0.3], "monitor": [None, 0.4, 0.6]}
    >>> len(training_curves(history).axes)
    2
    """
    if "step" not in history:
        raise UsageError(
            f"The training history has no 'step' series (keys: {sorted(history)}).",
            "a dict with a 'step' list and one list per recorded value",
        )
    steps = np.asarray(history["step"], dtype=np.float64)
    series: dict[str, np.ndarray] = {}
    for name, values in history.items():
        if name == "step":
            continue
        array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        if array.shape != steps.shape:
            raise UsageError(
                f"The history series '{name}' has {array.size} values for {steps.size} steps.",
                "one value (or None) per step",
            )
        series[name] = array
    losses = {k: v for k, v in series.items() if "loss" in k}
    others = {k: v for k, v in series.items() if "loss" not in k}
    figure = _new_figure((7.0, 3.5))
    ax = figure.add_subplot()
    handles = []
    colours = _palette(max(len(series), 1))
    for i, (name, values) in enumerate(losses.items()):
        shown = np.isfinite(values)
        (line,) = ax.plot(steps[shown], values[shown], color=colours[i], label=name)
        handles.append(line)
    finite_losses = np.concatenate([v[np.isfinite(v)] for v in losses.values()] or [np.ones(1)])
    if finite_losses.size and np.all(finite_losses > 0):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if others:
        right = ax.twinx()
        for i, (name, values) in enumerate(others.items(), start=len(losses)):
            shown = np.isfinite(values)
            # Sparse series (evaluated every few steps) need markers to be seen.
            marker = "o" if shown.sum() < 0.5 * max(steps.size, 1) else None
            (line,) = right.plot(
                steps[shown], values[shown], color=colours[i], marker=marker, ls="--", label=name
            )
            handles.append(line)
        if any("ratio" in name for name in others):
            handles.append(right.axhline(1.0, color="grey", ls=":", label="baseline (ratio 1)"))
        right.set_ylabel("monitor")
    if handles:
        ax.legend(handles=handles, fontsize="small", loc="best")
    if title:
        ax.set_title(title)
    return figure


def channel_heatmap(
    frames: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    names: Names | None = None,
    frame_rate: float | None = None,
    standardize: bool = True,
    title: str | None = None,
) -> Figure:
    """Channels over time as a heat map, with the label bar under it.

    The honest view of a sequence whose skeleton is unknown: every channel
    is shown as it is, and action changes appear as changes of texture.

    Args:
        frames: float array ``(n_frames, n_channels)``.
        labels: ``(n_frames,)`` ints drawn as a bar under the map. Defaults to None.
        names: names of label values. Defaults to None.
        frame_rate: frames per second; x axis in seconds when given. Defaults to None.
        standardize: z-score each channel (constant channels become 0) so
            that channels of different ranges are comparable. Defaults to True.
        title: figure title. Defaults to None.

    Returns:
        Figure with the heat map and its colour bar, plus the label bar
        when labels are given.

    Example:
    >>> frames = np.random.default_rng(0).normal(size=(50, 6))
    >>> len(channel_heatmap(frames).axes), len(channel_heatmap(frames, [0] * 25 + [1] * 25).axes)
    (2, 3)
    """
    array = np.asarray(frames, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise UsageError(
            f"The frames have shape {array.shape}.", "shape (n_frames, n_channels), frames first"
        )
    _check_finite(array, "frames")
    values = None if labels is None else _check_length(labels, array.shape[0], "labels", "frames")
    if standardize:
        spread = array.std(axis=0)
        array = (array - array.mean(axis=0)) / np.where(spread > 1e-12, spread, 1.0)
    end, unit = _time_axis(array.shape[0], frame_rate)
    figure = _new_figure((8.0, 4.0))
    if values is None:
        ax = figure.add_subplot()
    else:
        ax, ax_labels = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [8, 1]})
    limit = 3.0 if standardize else float(np.abs(array).max() or 1.0)
    image = ax.imshow(
        array.T,
        aspect="auto",
        interpolation="nearest",
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        extent=(0.0, end, array.shape[1] - 0.5, -0.5),
    )
    figure.colorbar(image, ax=ax, label="z-score" if standardize else "value")
    ax.set_ylabel("channel")
    if values is None:
        ax.set_xlabel(unit)
    else:
        key = _colour_key(values, None, names, None)
        _label_bar(ax_labels, key.frames(values), end, "labels")
        ax_labels.set_xlabel(unit)
        figure.legend(handles=key.handles, loc="outside right lower", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


def figure_to_png_bytes(figure: Figure, *, dpi: float | None = None) -> bytes:
    """Render a figure as PNG bytes, for embedding in reports.

    Args:
        figure: any matplotlib figure.
        dpi: resolution. Defaults to the figure's.

    Example:
    >>> figure_to_png_bytes(segmentation_bars([0, 1], [0, 1]))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi if dpi is not None else "figure")
    return buffer.getvalue()
