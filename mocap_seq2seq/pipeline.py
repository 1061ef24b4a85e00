"""The chain, once: a sequence and a model -> embedding -> segmentations -> scores -> a report.

``mocap demo``, ``mocap segment``, ``mocap cluster``, :mod:`mocap_seq2seq.pretrained`
and the benchmarks call these functions, so that every number of the toolkit
comes from the same decisions:

* :func:`oracle_parameters`: what a segmenter is told under "oracle K" (the
  true number of actions, and of segments where it takes one);
* :func:`segment_embedding`: one segmenter over an embedding, scored when the
  embedding carries ground truth;
* :func:`compare_sequence`: the comparison a report shows (decoder states
  and raw poses; automatic and oracle K; the paper's method), normalising
  the frames once;
* :func:`demo_report` (a collection of sequences, each with its model) and
  :func:`capture_report` (one capture and the model trained on it): a
  :class:`~mocap_seq2seq.report.model.Report`, data that
  :mod:`mocap_seq2seq.report.render` draws.

Plain data in and out; nothing here prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.data.sources import SequenceSource
from mocap_seq2seq.embedding import Embedding, embed_sequence, write_embedding
from mocap_seq2seq.errors import MismatchError, UsageError
from mocap_seq2seq.labels import labels_to_boundaries
from mocap_seq2seq.report.model import Figure, Report
from mocap_seq2seq.report.tables import evaluation_tables, segments_table
from mocap_seq2seq.segment.evaluation import Evaluation, evaluate_labels
from mocap_seq2seq.segment.names import DEFAULT_FEATURES, FEATURE_HELP
from mocap_seq2seq.segment.results import segment_rows
from mocap_seq2seq.segment.segmentation import SEGMENTERS
from mocap_seq2seq.units import require_frame_rate

#: Called with ``(done, total)`` windows while a sequence is embedded.
WindowProgress = Callable[[int, int], None]
#: Given what is embedded, a context that yields a :data:`WindowProgress`
#: (the CLI passes its rich progress bar; None embeds silently).
ProgressFactory = Callable[[str], AbstractContextManager[WindowProgress]]

#: The toolkit's default segmenter.
DEFAULT_METHOD = "kernel"
#: The paper's method (agglomerative, cosine, single linkage).
PAPER_METHOD = "paper"

#: What a segmentation runs on (``--features``, :data:`~mocap_seq2seq.segment.names.FEATURE_HELP`),
#: with the report's name for it.
FEATURE_SETS: dict[str, str] = {
    "states": "decoder states",
    "poses": "raw poses",
    "both": "states + poses",
}
if set(FEATURE_SETS) != set(FEATURE_HELP):
    raise RuntimeError("pipeline.FEATURE_SETS and segment.names.FEATURE_HELP disagree")


@dataclass(frozen=True)
class SegmentationResult:
    """Frame labels of one sequence, with the embedding and the scores when known."""

    embedding: Embedding
    frame_labels: np.ndarray
    method: str
    k_mode: str
    n_clusters: int
    n_segments: int
    evaluation: Evaluation | None
    parameters: dict[str, Any] = field(default_factory=dict)
    features: str = "decoder states"


# ----------------------------------------------------------------------------- oracle


def oracle_parameters(labels: np.ndarray, method: str) -> dict[str, int]:
    """What a segmenter is told under "oracle K": the one definition of the toolkit.

    The true number of actions (``n_clusters``) and, for segmenters that take
    one, the true number of segments (``n_segments``). "Automatic" is the
    empty dict: the segmenter chooses both.

    Args:
        labels: ``(n_frames,)`` ground-truth frame labels.
        method: a key of :data:`~mocap_seq2seq.segment.segmentation.SEGMENTERS`.

    Example:
    >>> oracle_parameters(np.array([0, 0, 1, 1, 0]), "kernel")
    {'n_clusters': 2, 'n_segments': 3}
    >>> oracle_parameters(np.array([0, 0, 1, 1, 0]), "paper")
    {'n_clusters': 2}
    """
    _check_method(method)
    parameters = {"n_clusters": int(np.unique(labels).size)}
    if "n_segments" in SEGMENTERS[method]().get_params():
        parameters["n_segments"] = int(labels_to_boundaries(labels).size + 1)
    return parameters


def rate_parameters(method: str, frame_rate: float | None, what: str) -> dict[str, float]:
    """The ``frame_rate`` of a segmenter whose parameters are in seconds; ``{}`` for others.

    A segmenter that takes a rate refuses a sequence without one (naming ``--frame-rate``).

    Example:
    >>> rate_parameters("kernel", 60.0, "trial 01"), rate_parameters("paper", None, "x")
    ({'frame_rate': 60.0}, {})
    """
    _check_method(method)
    if "frame_rate" not in SEGMENTERS[method]().get_params():
        return {}
    return {"frame_rate": require_frame_rate(frame_rate, what)}


def _check_method(method: str) -> None:
    if method not in SEGMENTERS:
        raise UsageError(
            f"Unknown segmenter '{method}'.",
            f"one of {', '.join(SEGMENTERS)}",
            "Pick one of the names of mocap_seq2seq.segment.segmentation.SEGMENTERS.",
        )


# ----------------------------------------------------------------------------- one segmentation


def feature_matrix(
    embedding: Embedding, features: str = DEFAULT_FEATURES
) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """The frames' features for ``features`` (a :data:`FEATURE_SETS` key), and their groups.

    ``both`` puts the states and the poses side by side and returns the two
    widths: the kernel segmenter then averages one Gaussian kernel per group,
    each with its own median width, so neither set's scale decides for the
    other (a kernel on the plain concatenation would). Other segmenters take
    each group scaled to unit total standard deviation.
    """
    if features not in FEATURE_SETS:
        raise UsageError(
            f"Unknown feature set '{features}'. Expected one of {', '.join(FEATURE_SETS)}.",
            fix="Pass --features states, poses or both.",
        )
    if features == "states":
        return embedding.states, None
    if embedding.poses is None:
        raise MismatchError(
            f"--features {features} needs the poses, and this embedding was written without them.",
            fix="Run `mocap embed` again: new embedding files carry the poses.",
        )
    if features == "poses":
        return embedding.poses, None
    both = np.concatenate([embedding.states, embedding.poses], axis=1, dtype=np.float32)
    return both, (embedding.states.shape[1], embedding.poses.shape[1])


def _scaled_groups(features: np.ndarray, groups: tuple[int, ...]) -> np.ndarray:
    """Each column group centred and divided by its total standard deviation
    (as an ensemble's members are: :func:`~mocap_seq2seq.combination.scaled_concatenation`)."""
    from mocap_seq2seq.combination import scaled_concatenation

    return scaled_concatenation(np.split(features, np.cumsum(groups)[:-1], axis=1))


def segment_frames(
    features: np.ndarray,
    method: str,
    *,
    labels: np.ndarray | None = None,
    oracle: bool = False,
    random_state: int | None = None,
    frame_rate: float | None = None,
    groups: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Frame labels of one segmenter over any frame features (states, raw poses, PCA).

    The benchmarks' entry: the segmenter of ``method`` with its defaults,
    told :func:`oracle_parameters` under ``oracle``, seeded with
    ``random_state`` where it takes one.

    Args:
        features: ``(n_frames, n_features)``.
        method: a key of :data:`~mocap_seq2seq.segment.segmentation.SEGMENTERS`.
        labels: ``(n_frames,)`` ground truth; read only under ``oracle``.
        oracle: tell the segmenter the true counts.
        random_state: seed of seeded segmenters (k-means); ignored by the others.
        frame_rate: frames per second of ``features``, for segmenters whose
            parameters are in seconds; None keeps their default (120 fps).
        groups: widths of column groups side by side in ``features`` (states
            and poses, as :func:`feature_matrix` returns them): one kernel per
            group, or each group scaled (:func:`_grouped`).
    """
    _check_method(method)
    parameters: dict[str, Any] = {}
    if frame_rate is not None:
        parameters.update(rate_parameters(method, frame_rate, "The features"))
    if oracle:
        if labels is None:
            raise UsageError("Oracle K needs ground truth, and this sequence has none.")
        parameters.update(oracle_parameters(labels, method))
    if random_state is not None and "random_state" in SEGMENTERS[method]().get_params():
        parameters["random_state"] = random_state
    features = _grouped(method, features, groups, parameters)
    return SEGMENTERS[method](**parameters).fit(features).frame_labels_


def _grouped(
    method: str, matrix: np.ndarray, groups: tuple[int, ...] | None, parameters: dict[str, Any]
) -> np.ndarray:
    """Feature groups as ``method`` takes them: its ``feature_groups`` parameter
    (set in ``parameters``) or, for segmenters without one, each group scaled."""
    if groups is None:
        return matrix
    if "feature_groups" in SEGMENTERS[method]().get_params():
        parameters["feature_groups"] = groups
        return matrix
    return _scaled_groups(matrix, groups)


def segment_embedding(
    embedding: Embedding,
    *,
    method: str = DEFAULT_METHOD,
    oracle: bool = False,
    sequence: str = "",
    paper_protocol: bool = False,
    features: str = "decoder states",
    parameters: dict[str, Any] | None = None,
    k_mode: str | None = None,
    feature_set: str = DEFAULT_FEATURES,
) -> SegmentationResult:
    """Cluster an embedding's states; evaluate when it carries ground truth.

    Args:
        embedding: frame-level decoder states (:mod:`mocap_seq2seq.embedding`).
        method: a key of :data:`~mocap_seq2seq.segment.segmentation.SEGMENTERS`.
        oracle: tell the segmenter :func:`oracle_parameters`; otherwise it
            chooses the numbers itself (or takes ``parameters``).
        sequence: name for the report.
        paper_protocol: the embedding was made with the paper's protocol.
        features: what the states are, for the report ("decoder states",
            "raw poses").
        parameters: segmenter parameters chosen by the caller (``--k 5``);
            ``oracle`` overrides the counts it sets. A segmenter in seconds
            gets the embedding's ``frame_rate`` (its metadata) unless these set one.
        k_mode: how the counts were chosen, for the report; defaults to
            ``"oracle"`` or ``"automatic"`` from ``oracle``.
        feature_set: what to segment, a :data:`FEATURE_SETS` key
            (:func:`feature_matrix`); the report names it unless ``features``
            says otherwise.
    """
    _check_method(method)
    matrix, groups = feature_matrix(embedding, feature_set)
    if feature_set != "states" and features == FEATURE_SETS["states"]:
        features = FEATURE_SETS[feature_set]
    chosen: dict[str, Any] = dict(parameters or {})
    if "frame_rate" not in chosen:
        rate = embedding.metadata.get("frame_rate")
        chosen.update(rate_parameters(method, rate, f"'{sequence or 'The embedding'}'"))
    if oracle:
        if embedding.labels is None:
            raise UsageError("Oracle K needs ground truth, and this sequence has none.")
        chosen.update(oracle_parameters(embedding.labels, method))
    matrix = _grouped(method, matrix, groups, chosen)
    segmenter = SEGMENTERS[method](**chosen).fit(matrix)
    mode = k_mode if k_mode is not None else ("oracle" if oracle else "automatic")
    evaluation = None
    if embedding.labels is not None and embedding.tolerance_windows is not None:
        evaluation = evaluate_labels(
            embedding.labels,
            segmenter.frame_labels_,
            embedding.tolerance_windows,
            sequence=sequence,
            method=method,
            features=features,
            k_mode=mode,
            protocol="paper" if paper_protocol else "leakage-free",
        )
    return SegmentationResult(
        embedding=embedding,
        frame_labels=segmenter.frame_labels_,
        method=method,
        k_mode=mode,
        n_clusters=int(segmenter.n_clusters_),
        n_segments=int(segmenter.n_segments_),
        evaluation=evaluation,
        parameters=segmenter.get_params(),
        features=features,
    )


def embed_source(
    model: Any,
    normalization: Any,
    source: SequenceSource,
    *,
    normalized: np.ndarray | None = None,
    batch_size: int = 256,
    progress: WindowProgress | None = None,
) -> Embedding:
    """The embedding of a :class:`~mocap_seq2seq.data.sources.SequenceSource`, with its truth."""
    return embed_sequence(
        model,
        normalization,
        source.frames,
        normalized=normalized,
        batch_size=batch_size,
        metadata={
            "sequence": source.description,
            "name": source.name,
            "frame_rate": source.frame_rate,
        },
        truth=source.truth,
        progress=progress,
    )


def embed_and_segment(
    model: Any,
    normalization: Any,
    source: SequenceSource,
    *,
    method: str = DEFAULT_METHOD,
    oracle: bool = False,
    batch_size: int = 256,
    progress: WindowProgress | None = None,
) -> SegmentationResult:
    """Embed a :class:`~mocap_seq2seq.data.sources.SequenceSource` and segment it."""
    embedding = embed_source(model, normalization, source, batch_size=batch_size, progress=progress)
    return segment_embedding(embedding, method=method, oracle=oracle, sequence=source.name)


# ----------------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Comparison:
    """What a report shows of one sequence.

    ``automatic`` is the toolkit's segmenter on the decoder states, automatic
    K (the answer without labels). With ground truth, ``others`` adds the
    same with oracle K, the paper's method (oracle K), and the toolkit's
    segmenter on the raw normalised poses (automatic and oracle K).
    """

    name: str
    source: SequenceSource
    automatic: SegmentationResult
    others: tuple[SegmentationResult, ...] = ()

    @property
    def results(self) -> tuple[SegmentationResult, ...]:
        return (self.automatic, *self.others)

    @property
    def evaluations(self) -> list[Evaluation]:
        return [result.evaluation for result in self.results if result.evaluation is not None]


def compare_sequence(
    source: SequenceSource,
    model: Any,
    normalization: Any,
    *,
    name: str | None = None,
    batch_size: int = 256,
    progress: WindowProgress | None = None,
    features: str = DEFAULT_FEATURES,
) -> Comparison:
    """Embed a sequence once and segment it every way a report compares.

    The frames are normalised once, for the embedding and for the raw-pose
    rows alike.
    """
    normalized = normalization.transform(source.frames)
    embedding = embed_source(
        model,
        normalization,
        source,
        normalized=normalized,
        batch_size=batch_size,
        progress=progress,
    )
    return compare_embedding(source, embedding, normalized, name=name, features=features)


def compare_embedding(
    source: SequenceSource,
    embedding: Embedding,
    normalized: np.ndarray,
    *,
    name: str | None = None,
    features: str = DEFAULT_FEATURES,
) -> Comparison:
    """:func:`compare_sequence` from an embedding made already (one model or an ensemble).

    ``normalized`` are the raw poses normalised as in training, for the raw-pose
    rows; the other rows segment ``features`` (a :data:`FEATURE_SETS` key).
    """
    if embedding.poses is None:
        embedding = replace(embedding, poses=np.asarray(normalized, dtype=np.float32))
    automatic = segment_embedding(embedding, sequence=source.name, feature_set=features)
    if source.labels is None:
        return Comparison(name or source.name, source, automatic)
    raw = replace(embedding, states=normalized, filled=np.zeros(embedding.n_frames, bool))
    # The raw-pose rows are the baseline; with --features poses the rows above are they.
    baseline = () if features == "poses" else (False, True)
    others = (
        segment_embedding(embedding, oracle=True, sequence=source.name, feature_set=features),
        segment_embedding(
            embedding,
            method=PAPER_METHOD,
            oracle=True,
            sequence=source.name,
            feature_set=features,
        ),
        *(
            segment_embedding(raw, oracle=flag, sequence=source.name, features="raw poses")
            for flag in baseline
        ),
    )
    return Comparison(name or source.name, source, automatic, others)


# ----------------------------------------------------------------------------- figures


def _stem(name: str) -> str:
    return name.replace(" ", "-").replace("+", "_").replace("/", "_")[:60]


def segmentation_figure(comparison: Comparison) -> Figure:
    """The segmentation bars over the 3-D decoder states, truth beside prediction when known."""
    from mocap_seq2seq.report.render import evaluation_png, prediction_png

    source, automatic, name = comparison.source, comparison.automatic, comparison.name
    title = f"{name}: kernel segmenter on {automatic.features}, automatic K"
    stem = f"{_stem(name)}-segmentation"
    if source.labels is not None:
        png = evaluation_png(
            source.labels,
            automatic.frame_labels,
            automatic.embedding.pca,
            action_names=source.action_names,
            frame_rate=source.frame_rate,
            title=title,
        )
        caption = (
            f"{name}: true vs predicted actions (automatic K), and the decoder states' first "
            "3 principal components coloured by true and by predicted action."
        )
        return Figure(stem, png, caption)
    png = prediction_png(
        automatic.frame_labels, automatic.embedding.pca, frame_rate=source.frame_rate, title=title
    )
    caption = (
        f"{name}: the clusters found without labels (automatic K), over time and on the "
        "decoder states' first 3 principal components."
    )
    return Figure(stem, png, caption)


def run_figures(comparison: Comparison, run_folder: Path) -> tuple[list[Figure], list[str]]:
    """The training curves of a run and, for frames without a skeleton, the channels.

    Returns the figures and the notes that explain them.
    """
    from mocap_seq2seq.report.animation import skeleton_frames
    from mocap_seq2seq.report.figures import channel_heatmap, figure_to_png_bytes, training_curves

    figures, notes = [], []
    curves, members = _training_history(run_folder)
    if curves:
        figures.append(
            Figure(
                "training",
                figure_to_png_bytes(training_curves(curves, title="training")),
                "Training loss, forecast error relative to repeating the last "
                "pose (below 1 = better), and the label-free monitor score"
                + (f", of each of the {members} members." if members > 1 else "."),
            )
        )
    source = comparison.source
    if skeleton_frames(source) is None:
        heatmap = channel_heatmap(
            source.frames,
            source.labels,
            names=source.action_names,
            frame_rate=source.frame_rate,
            title=f"{comparison.name}: the {source.frames.shape[1]} exp-map channels",
        )
        figures.append(
            Figure(
                "channels",
                figure_to_png_bytes(heatmap),
                "The motion as it is: every channel over time.",
            )
        )
        notes.append(
            "These frames come without a skeleton (bone offsets and the axes of each "
            "bone's rotation), so the motion is shown as its channels over time rather "
            "than as a moving figure; README 'Data' says why subject 86 has none."
        )
    return figures, notes


def _training_history(run_folder: Path) -> tuple[dict[str, list[Any]], int]:
    """The curves the training figure draws, and how many members they show.

    A seed ensemble's members (one step grid: one config) each get their own
    curves, named by seed; a run without history.json gets none.
    """
    from mocap_seq2seq.model.ensemble import member_dirs
    from mocap_seq2seq.model.run_folder import HISTORY_FILE, read_history
    from mocap_seq2seq.model.training import read_run_config

    folders = member_dirs(run_folder)
    histories = []
    for folder in folders:
        if not (folder / HISTORY_FILE).is_file():
            return {}, 0
        # Read with the run folder's own validation (a damaged file is one clear error).
        history = read_history(folder, up_to_step=sys.maxsize)
        seed = read_run_config(folder).config.seed if len(folders) > 1 else None
        histories.append((seed, history))
    if not histories or any(h["step"] != histories[0][1]["step"] for _, h in histories):
        return {}, 0
    curves: dict[str, list[Any]] = {"step": histories[0][1]["step"]}
    for key in ("loss", "forecast_ratio", "monitor"):
        for seed, history in histories:
            if (
                history.get(key)
                and len(history[key]) == len(history["step"])
                and any(value is not None for value in history[key])
            ):
                curves[key if len(histories) == 1 else f"{key} (seed {seed})"] = history[key]
    return curves, len(histories)


def model_seeds(run_folder: Path) -> list[int]:
    """The seeds of a run folder's predictors: one for a plain run, N for a seed ensemble."""
    from mocap_seq2seq.model.ensemble import is_ensemble, read_ensemble
    from mocap_seq2seq.model.training import read_run_config

    if is_ensemble(run_folder):
        return [int(seed) for seed in read_ensemble(run_folder)["seeds"]]
    return [int(read_run_config(run_folder).config.seed)]


def model_description(run_folder: Path) -> str:
    """What a run folder holds, in words: one predictor, or a seed ensemble of N.

    Example: "a seed ensemble of 3 seq2seq predictors (seeds 0, 1, 2; their
    decoder states combined by 'concat')".
    """
    from mocap_seq2seq.combination import DEFAULT_COMBINATION
    from mocap_seq2seq.model.ensemble import is_ensemble

    seeds = model_seeds(run_folder)
    if not is_ensemble(run_folder):
        return f"one seq2seq predictor (seed {seeds[0]})"
    return (
        f"a seed ensemble of {len(seeds)} seq2seq predictors (seeds "
        f"{', '.join(map(str, seeds))}; their decoder states combined by "
        f"'{DEFAULT_COMBINATION}')"
    )


def models_line(jobs: Sequence[Job]) -> str:
    """One sentence naming the model of every job (once when they are all alike)."""
    described = [(job.name, model_description(job.run_folder)) for job in jobs]
    if len({text for _, text in described}) == 1:
        what = "The model: " if len(jobs) == 1 else "Each sequence's model: "
        return what + described[0][1] + "."
    return "The models: " + "; ".join(f"{name}: {text}" for name, text in described) + "."


def _backend_line() -> str:
    import keras

    return f"Backend: {keras.backend.backend()}, Keras {keras.__version__}."


# ----------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Job:
    """One sequence of a collection and the run folder of its model."""

    name: str
    source: SequenceSource
    run_folder: Path


@dataclass(frozen=True)
class ReportResult:
    """A report, the comparisons it shows, and the animations written beside it."""

    report: Report
    comparisons: tuple[Comparison, ...]
    animations: tuple[Path, ...] = ()


def _embedding_context(progress: ProgressFactory | None, name: str) -> Any:
    return progress(f"embedding {name}") if progress is not None else nullcontext(None)


def compare_collection(
    jobs: Sequence[Job],
    *,
    progress: ProgressFactory | None = None,
    features: str = DEFAULT_FEATURES,
) -> list[Comparison]:
    """:func:`compare_sequence` over a collection, each sequence with its own model."""
    from mocap_seq2seq.embedding import embed_members
    from mocap_seq2seq.model.ensemble import load_members

    comparisons = []
    for job in jobs:
        # A seed ensemble's members share the normalisation: they learned the same frames.
        members = load_members(job.run_folder)
        normalized = members[0].normalization.transform(job.source.frames)
        with _embedding_context(progress, job.name) as report:
            embedding = embed_members(
                members,
                job.source.frames,
                normalized=normalized,
                metadata={
                    "sequence": job.source.description,
                    "name": job.source.name,
                    "frame_rate": job.source.frame_rate,
                },
                truth=job.source.truth,
                progress=report,
            )
        comparisons.append(
            compare_embedding(job.source, embedding, normalized, name=job.name, features=features)
        )
    return comparisons


def _figures_and_notes(
    comparison: Comparison, run_folder: Path | None, animation_folder: Path | None
) -> tuple[list[Figure], list[str], list[Path]]:
    from mocap_seq2seq.report.animation import write_sequence_animation

    figures, notes, animations = [segmentation_figure(comparison)], [], []
    if run_folder is not None:
        more, said = run_figures(comparison, run_folder)
        figures += more
        notes += said
    if animation_folder is not None:
        path = write_sequence_animation(
            comparison.source,
            comparison.automatic.frame_labels,
            animation_folder,
            _stem(comparison.name),
        )
        animations.append(path)
        notes.append(f"Animation: {path.name} in the report folder.")
    return figures, notes, animations


def _what_is_segmented(features: str, model: str) -> str:
    """The report's first words: what the toolkit's rows segment."""
    return {
        "states": f"Decoder states of {model}",
        "poses": "The poses alone (no model)",
        "both": f"Decoder states of {model} beside the poses, one kernel each",
    }[features]


def demo_report(
    jobs: Sequence[Job],
    *,
    title: str,
    animation_folder: Path | None = None,
    progress: ProgressFactory | None = None,
    features: str = DEFAULT_FEATURES,
) -> ReportResult:
    """``mocap demo``: every sequence of a collection compared, in one report.

    Args:
        jobs: the sequences and their (pretrained) models.
        title: the report's title.
        animation_folder: also animate each sequence into this folder.
        progress: the embedding's progress bar (see :data:`ProgressFactory`).
        features: what the toolkit's rows segment (:data:`FEATURE_SETS`).
    """
    comparisons = compare_collection(jobs, progress=progress, features=features)
    figures: list[Figure] = []
    notes: list[str] = []
    animations: list[Path] = []
    for job, comparison in zip(jobs, comparisons):
        more, said, written = _figures_and_notes(
            comparison, job.run_folder if len(jobs) == 1 else None, animation_folder
        )
        figures += more
        notes += [note for note in said if note not in notes]
        animations += written
    evaluations = [e for comparison in comparisons for e in comparison.evaluations]
    report = Report(
        title=title,
        paragraphs=(
            _what_is_segmented(
                features,
                "the pretrained model" if len(jobs) == 1 else "each sequence's pretrained model",
            )
            + ", segmented without labels "
            "(leakage-free: the labels are used only to score). 'automatic K': the segmenter "
            "chose the numbers of actions and segments itself; 'oracle K': it was told both. "
            "The last rows run the same segmenter on the raw normalised poses, for comparison.",
            models_line(jobs),
            _backend_line(),
        ),
        tables=tuple(evaluation_tables(evaluations, title=title)),
        figures=tuple(figures),
        notes=tuple(notes),
        summary={
            "evaluations": [evaluation.to_dict() for evaluation in evaluations],
            "models": {
                job.name: {"folder": str(job.run_folder), "seeds": model_seeds(job.run_folder)}
                for job in jobs
            },
        },
    )
    return ReportResult(report, tuple(comparisons), tuple(animations))


def capture_report(
    source: SequenceSource,
    run_folder: Path,
    folder: Path,
    *,
    video: bool = False,
    progress: ProgressFactory | None = None,
    features: str = DEFAULT_FEATURES,
) -> ReportResult:
    """``mocap segment`` after training: embed, cluster, write the files, and report.

    Writes ``embedding.h5`` and ``clustering/`` (the automatic-K segmentation)
    into ``folder``; the caller writes the report itself
    (:func:`mocap_seq2seq.report.render.write_report`).
    """
    from mocap_seq2seq.segment.results import write_clustering

    (comparison,) = compare_collection(
        [Job(source.name, source, run_folder)], progress=progress, features=features
    )
    automatic = comparison.automatic
    figures, notes, animations = _figures_and_notes(
        comparison, run_folder, folder if video else None
    )
    embedding_path = write_embedding(folder / "embedding.h5", automatic.embedding, overwrite=True)
    clustering = folder / "clustering"
    write_clustering(
        clustering,
        automatic.frame_labels,
        {
            "embedding": os.path.relpath(embedding_path.resolve(), clustering.resolve()),
            "embedding_absolute": str(embedding_path.resolve()),
            "method": automatic.method,
            "features": features,
            "parameters": {},
            "k_mode": automatic.k_mode,
            "paper_protocol": False,
            "n_clusters": automatic.n_clusters,
            "n_segments": automatic.n_segments,
            "sequence": source.name,
            "frame_rate": source.frame_rate,
        },
        overwrite=True,
        frame_rate=source.frame_rate,
    )
    evaluations = comparison.evaluations
    tables = [
        segments_table(
            f"{source.name}: {automatic.n_clusters} clusters, "
            f"{automatic.n_segments} segments (automatic K)",
            automatic.frame_labels,
            source.frame_rate,
        )
    ]
    if evaluations:
        tables[:0] = evaluation_tables(evaluations, title=f"{source.name} against its labels")
    paragraphs = (
        _what_is_segmented(features, "a seq2seq predictor trained on this sequence alone")
        + ", segmented without labels by the toolkit's kernel segmenter (automatic K). "
        + (
            "Labels were given, so the segmentation is scored; 'oracle K' rows were told the "
            "true numbers, and the 'raw poses' rows run the same segmenter on the poses."
            if evaluations
            else "No labels were given: nothing is scored."
        ),
        _backend_line() + " Files: embedding.h5, "
        "clustering/ (frame_labels.csv, segments.csv, segments.json), run/.",
    )
    report = Report(
        title=f"mocap-seq2seq: {source.name}",
        paragraphs=paragraphs,
        tables=tuple(tables),
        figures=tuple(figures),
        notes=tuple(notes),
        summary={
            "sequence": source.name,
            "features": features,
            "n_clusters": automatic.n_clusters,
            "n_segments": automatic.n_segments,
            "frame_rate": source.frame_rate,
            "segments": segment_rows(automatic.frame_labels, source.frame_rate),
            "evaluations": [evaluation.to_dict() for evaluation in evaluations],
        },
    )
    return ReportResult(report, (comparison,), tuple(animations))
