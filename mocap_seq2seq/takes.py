"""A folder of takes in one command: every take segmented, then all labelled together.

:func:`segment_takes` is what ``mocap segment FOLDER_OR_FILES...`` runs:

1. :func:`find_takes` turns folders and files into takes: a BVH file, an AMC
   file (with the one ASF beside it), a Human3.6M ``.txt`` file, or each
   sequence with frames of a converted ``.h5`` file.
2. :func:`process_take`, for each take on its own: convert it, train a model
   on it (the preset's default: per-take models embed a take better than one
   model pooled over the others, 0.96 against 0.52 oracle ARI on trial 01),
   embed it, and cut it into segments by its decoder states (automatic K).
   Each take's files live in ``<output>/takes/<name>/``; a take whose
   ``segments.json`` is there is finished and skipped, an interrupted
   training resumes from its checkpoint, and a take that fails (a malformed
   file, too short for the window) is reported and left out, not fatal.
   Takes are independent, so they can run on a Dask cluster
   (:func:`run_takes`, optional extra ``distributed``).
3. The segments of all takes are clustered together
   (:func:`mocap_seq2seq.segment.collection.collection_segments`). Per-take
   models put their states in different coordinates, so takes are compared
   by their poses: root position dropped, normalised once over the whole
   collection, one kernel width for all. Chosen on subject 86's ten trials
   as a collection (``bench/collection.py``): states within and poses across
   scored 0.78 frame ARI with automatic K against 0.71 for poses alone, and
   0.23-0.47 for states pooled across models.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import write_json, write_text
from mocap_seq2seq.errors import MocapError, UsageError
from mocap_seq2seq.units import frames_to_seconds, require_frame_rate
from mocap_seq2seq.validation import Field, read_json_object

#: Motion files a folder is searched for (``.asf`` files are read with ``.amc``).
MOTION_SUFFIXES = (".bvh", ".amc", ".txt", ".h5", ".hdf5")
TAKES_FOLDER = "takes"
TAKE_FILE = "segments.json"
SEGMENTS_CSV = "segments.csv"
SEGMENTS_JSON = "segments.json"
TAKE_SCHEMA = {
    "name": str,
    "data": str,
    "sequence": str,
    "n_frames": Field((int,)),
    "frame_rate": Field((float, int, type(None))),
    "n_channels": Field((int,)),
    "spans": list,
    "seconds": Field((float, int)),
    "model": str,
}


@dataclass(frozen=True)
class TakeInput:
    """One take to segment: motion files to convert, or a sequence of a converted file."""

    name: str
    files: tuple[Path, ...] = ()
    asf: Path | None = None
    data: Path | None = None
    sequence: str | None = None


@dataclass(frozen=True)
class TakeResult:
    """A take's segments, or why it was left out (``error``)."""

    name: str
    error: str = ""
    data: str = ""
    sequence: str = ""
    n_frames: int = 0
    frame_rate: float | None = None
    n_channels: int = 0
    spans: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    seconds: float = 0.0
    skipped: bool = False  # finished by an earlier run
    model: str = ""  # the run folder whose states cut the take

    @property
    def ok(self) -> bool:
        return not self.error


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "take"


def find_takes(paths: Sequence[str | os.PathLike[str]]) -> list[TakeInput]:
    """The takes of the given folders and files (folders searched recursively).

    Every take gets a unique folder-safe name (the file's stem, and the
    sequence's name for a converted file with several).
    """
    from mocap_seq2seq.data.store import sequence_names

    items = [Path(path) for path in paths]
    missing = [path for path in items if not path.exists()]
    if missing:
        raise UsageError(f"'{missing[0]}' does not exist.", "existing motion files or folders")
    files: list[Path] = []
    for item in items:
        if item.is_dir():
            found = sorted(
                path
                for path in item.rglob("*")
                if path.is_file() and path.suffix.lower() in (*MOTION_SUFFIXES, ".asf")
            )
            files.extend(found)
        else:
            files.append(item)
    # The same file reached twice (a folder and a file in it) is one take.
    files = list({path.resolve(): path for path in files}.values())
    asf_files = [path for path in files if path.suffix.lower() == ".asf"]
    takes: list[TakeInput] = []
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".asf":
            continue
        if suffix in (".h5", ".hdf5"):
            try:
                names = sequence_names(path, with_frames=True)
            except MocapError:
                takes.append(TakeInput(path.stem, data=path))  # reported when processed
                continue
            for name in names:
                # A file's own sequence names suffice when it is the only input.
                alone = len(files) == 1
                label = name if alone else path.stem if len(names) == 1 else f"{path.stem}-{name}"
                takes.append(TakeInput(label, data=path, sequence=name))
        elif suffix == ".amc":
            beside = [asf for asf in asf_files if asf.parent == path.parent] or asf_files
            asf = beside[0] if len(beside) == 1 else None
            takes.append(TakeInput(path.stem, files=(path,), asf=asf))
        elif suffix in (".bvh", ".txt"):
            takes.append(TakeInput(path.stem if suffix == ".bvh" else _h36m_name(path), (path,)))
        else:
            raise UsageError(
                f"Cannot tell the format of '{path}'.",
                ".bvh, .amc (with an .asf), Human3.6M .txt, a converted .h5, or folders of them",
            )
    if not takes:
        raise UsageError(
            "No motion files found in " + ", ".join(f"'{item}'" for item in items) + ".",
            ".bvh, .amc (with an .asf), Human3.6M .txt or converted .h5 files",
        )
    return _unique(takes)


def _h36m_name(path: Path) -> str:
    # Human3.6M names its files by action in every subject folder (S1/eating_1.txt).
    return f"{path.parent.name}-{path.stem}"


def _unique(takes: list[TakeInput]) -> list[TakeInput]:
    seen: Counter[str] = Counter()
    unique = []
    for take in takes:
        base = _safe_name(take.name)
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base}-{seen[base]}"
        unique.append(TakeInput(name, take.files, take.asf, take.data, take.sequence))
    return unique


def process_take(
    take: TakeInput,
    folder: str | os.PathLike[str],
    config: Any,
    *,
    frame_rate: float | None = None,
    overwrite: bool = False,
    shared_run: str | None = None,
) -> TakeResult:
    """Convert, train, embed and segment one take in ``folder/takes/<name>/``.

    A take finished by an earlier call (by the same model) is read back, not
    redone (unless ``overwrite``). The toolkit's errors become the result's
    ``error``: one bad take does not stop the others. Interruptions
    propagate; the training resumes from its checkpoint next time.

    Args:
        shared_run: a run folder trained on all takes (``--shared-model``):
            the take is embedded by it instead of by a model of its own.
    """
    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model import training
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    started = time.monotonic()
    home = Path(folder) / TAKES_FOLDER / take.name
    done = home / TAKE_FILE
    run = Path(shared_run) if shared_run is not None else home / "run"
    try:
        if done.is_file() and not overwrite:
            kept = _read_take(done, skipped=True)
            if kept.model == str(run):
                return kept
        data, source = prepare_take(take, home, config, frame_rate=frame_rate, overwrite=overwrite)
        if shared_run is None:
            train_run(config, source, run, overwrite=overwrite)
        model, normalization, _ = training.load_run(run)
        rate = require_frame_rate(source.frame_rate, f"The take '{take.name}'")  # refused earlier
        states = embed_sequence(model, normalization, source.frames).states
        segmenter = KernelSegmenter(frame_rate=rate)
        spans = np.asarray(segmenter.fit(states).segment_frames_, dtype=np.int64)
        result = TakeResult(
            name=take.name,
            data=str(data),
            sequence=source.name,
            n_frames=int(source.frames.shape[0]),
            frame_rate=source.frame_rate,
            n_channels=int(source.frames.shape[1]),
            spans=spans,
            seconds=time.monotonic() - started,
            model=str(run),
        )
        write_json(done, _take_json(result))
        return result
    except MocapError as error:
        return TakeResult(take.name, error=" ".join(str(error).split()))


def prepare_take(
    take: TakeInput,
    home: Path,
    config: Any,
    *,
    frame_rate: float | None = None,
    overwrite: bool = False,
) -> tuple[Path, Any]:
    """The take's converted file (``home/data.h5`` unless it was given one) and its source.

    Raises the toolkit's errors for a file that cannot be read, a take without
    a frame rate (``frame_rate`` overrides the stored one) or one too short for
    the model's window.
    """
    from mocap_seq2seq.data.importers import import_motion
    from mocap_seq2seq.data.sources import file_source
    from mocap_seq2seq.model.windows import check_window

    home.mkdir(parents=True, exist_ok=True)
    data = take.data
    if data is None:
        data = home / "data.h5"
        if overwrite or not data.is_file():
            import_motion(take.files, data, asf=take.asf, frame_rate=frame_rate, overwrite=True)
    source = file_source(data, take.sequence, frame_rate=frame_rate)
    require_frame_rate(source.frame_rate, f"The take '{take.name}'")  # before any training
    check_window(source.frames.shape[0], config.source_length, config.target_length)
    return data, source


def train_run(config: Any, source: Any, run: Path, *, overwrite: bool = False) -> None:
    """Train ``run`` on ``source``: resumed if started (even before its first
    checkpoint), left alone once it has all its steps."""
    from mocap_seq2seq.model import training
    from mocap_seq2seq.model.run_folder import checkpoint_step

    started_before = (run / "config.json").is_file() and not overwrite
    step = checkpoint_step(run) if started_before else None
    if step is None or step < config.steps:
        training.train(
            config,
            source.frames,
            run,
            data=source.description,
            resume=started_before,
            overwrite=overwrite and run.is_dir(),
            root_columns=source.root_columns,
        )


def _take_json(result: TakeResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "data": result.data,
        "sequence": result.sequence,
        "n_frames": result.n_frames,
        "frame_rate": result.frame_rate,
        "n_channels": result.n_channels,
        "spans": result.spans.tolist(),
        "seconds": result.seconds,
        "model": result.model,
    }


def _read_take(path: Path, *, skipped: bool) -> TakeResult:
    stored = read_json_object(path, TAKE_SCHEMA, fix="Delete it to redo the take.")
    spans = np.asarray(stored["spans"], dtype=np.int64).reshape(-1, 2)
    return TakeResult(
        name=stored["name"],
        data=stored["data"],
        sequence=stored["sequence"],
        n_frames=stored["n_frames"],
        frame_rate=stored["frame_rate"],
        n_channels=stored["n_channels"],
        spans=spans,
        seconds=float(stored["seconds"]),
        skipped=skipped,
        model=stored["model"],
    )


def run_takes(
    takes: Sequence[TakeInput],
    folder: str | os.PathLike[str],
    config: Any,
    *,
    frame_rate: float | None = None,
    overwrite: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[TakeResult], None] | None = None,
    shared_run: str | None = None,
) -> list[TakeResult]:
    """:func:`process_take` for every take, in this process or on a Dask cluster.

    With ``workers > 1`` a ``distributed.LocalCluster`` of that many
    single-threaded worker processes runs the takes; with ``scheduler`` (an
    address such as ``tcp://10.0.0.5:8786``) an existing cluster does. Both
    need the optional extra ``distributed``. Results come back in the order
    of ``takes``; ``on_result`` sees each as it finishes.
    """
    say = on_result or (lambda result: None)
    options = {"frame_rate": frame_rate, "overwrite": overwrite, "shared_run": shared_run}
    if workers <= 1 and scheduler is None:
        results = []
        for take in takes:
            results.append(process_take(take, folder, config, **options))
            say(results[-1])
        return results
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError(
            "Running takes on a Dask cluster needs the optional extra 'distributed'.",
            "dask.distributed installed",
            'Install it with `pip install -e ".[distributed]"`, or pass --workers 1.',
        ) from None
    cluster = None
    if scheduler is None:
        # One thread a worker: Keras and NumPy already use the cores they get.
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: no warning when 8787 is taken
        )
    try:
        with Client(cluster if cluster is not None else scheduler, timeout="10s") as client:
            futures = [
                client.submit(process_take, take, str(folder), config, pure=False, **options)
                for take in takes
            ]
            order = {future.key: index for index, future in enumerate(futures)}
            results: list[TakeResult | None] = [None] * len(takes)
            for future in as_completed(futures):
                result = future.result()
                results[order[future.key]] = result
                say(result)
    except OSError as error:
        raise UsageError(
            f"Cannot reach the Dask scheduler '{scheduler}': {error}.",
            "a running scheduler's address, e.g. tcp://host:8786",
        ) from None
    finally:
        if cluster is not None:
            cluster.close()
    return [result for result in results if result is not None]


@dataclass(frozen=True)
class CollectionResult:
    """What :func:`segment_takes` found: every take's result and the shared labels."""

    takes: list[TakeResult]
    labels: dict[str, np.ndarray]  # the collection label of every frame, by take
    segments: list[dict[str, Any]]  # one row per segment (see SEGMENTS_CSV)
    n_actions: int
    report: Any
    written: list[Path]


def label_collection(
    results: Iterable[TakeResult],
    *,
    n_actions: int | None = None,
    shared_run: str | None = None,
) -> tuple[list[TakeResult], dict[str, np.ndarray], list[TakeResult]]:
    """Collection-wide labels of the takes that succeeded.

    Segments are compared across takes by their poses (root dropped), or, when
    one model embedded every take (``shared_run``), by its decoder states,
    which then share one space: both normalised once over all takes. Takes
    whose channels differ from most takes' are left out (returned third, with
    the reason): their poses are not in the collection's space.
    """
    from mocap_seq2seq.data.sources import file_source
    from mocap_seq2seq.model.windows import fit_normalization
    from mocap_seq2seq.motion.features import ROOT_POSITION_COLUMNS
    from mocap_seq2seq.segment.collection import collection_segments
    from mocap_seq2seq.segment.segmentation import KernelSegmenter

    good = [result for result in results if result.ok]
    if not good:
        raise UsageError("No take could be segmented; see the reasons above.", "one good take")
    width = Counter(result.n_channels for result in good).most_common(1)[0][0]
    kept = [result for result in good if result.n_channels == width]
    left_out = [
        TakeResult(
            result.name,
            error=f"{result.n_channels} channels where the collection's takes have {width}",
        )
        for result in good
        if result.n_channels != width
    ]
    model = None
    if shared_run is not None:
        from mocap_seq2seq.embedding import embed_sequence
        from mocap_seq2seq.model.training import load_run

        model, model_normalization, _ = load_run(shared_run)
    features = []
    for result in kept:
        frames = file_source(result.data, result.sequence).frames
        if model is not None:
            features.append(embed_sequence(model, model_normalization, frames).states)
            continue
        if width > 3:
            keep = np.setdiff1d(np.arange(width), ROOT_POSITION_COLUMNS)
            frames = frames[:, keep]
        features.append(np.asarray(frames, dtype=np.float64))
    normalization = fit_normalization(np.concatenate(features))
    shared = [normalization.transform(part) for part in features]
    steps = [  # one block length in seconds, in each take's frames
        KernelSegmenter(
            frame_rate=require_frame_rate(result.frame_rate, result.name)
        ).frame_lengths()[0]
        for result in kept
    ]
    found = collection_segments(
        shared, [result.spans for result in kept], n_clusters=n_actions, step=steps
    )
    labels = {result.name: found.frame_labels[i] for i, result in enumerate(kept)}
    return kept, labels, left_out


def segment_takes(
    takes: Sequence[TakeInput],
    output: str | os.PathLike[str],
    config: Any,
    *,
    n_actions: int | None = None,
    frame_rate: float | None = None,
    overwrite: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[TakeResult], None] | None = None,
    shared_model: bool = False,
) -> CollectionResult:
    """Segment a collection of takes and label the same action alike across them.

    Writes ``segments.csv`` and ``segments.json`` (every take's segments with
    their collection-wide action), and a report (``report.html``, ``.md``, a
    table of actions by take, a figure of every take's actions) in ``output``.

    Args:
        takes: the takes (:func:`find_takes`).
        output: the collection's folder (takes' files in ``takes/``).
        config: the training configuration of every take's model.
        n_actions: the number of actions across takes, or None to choose it.
        frame_rate: frames per second of files that do not state it.
        overwrite: redo finished takes.
        workers: Dask worker processes (1: in this process).
        scheduler: address of a running Dask scheduler.
        on_result: called with each take's result as it finishes.
        shared_model: train one model on all takes (``shared-run/``) instead
            of one a take; its states then also compare segments across takes.
    """
    from mocap_seq2seq.report.render import write_report

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"'{output}' is a file, not a folder.", fix="Pass another --output.")
    if n_actions is not None and n_actions < 1:
        raise UsageError(f"--k must be at least 1. Got {n_actions}.")
    shared_run = None
    failed_early: list[TakeResult] = []
    if shared_model:
        shared_run, failed_early = _train_shared(takes, output, config, frame_rate, overwrite)
        for result in failed_early:
            if on_result is not None:
                on_result(result)
        bad = {result.name for result in failed_early}
        takes = [take for take in takes if take.name not in bad]
    results = run_takes(
        takes,
        output,
        config,
        frame_rate=frame_rate,
        overwrite=overwrite,
        workers=workers,
        scheduler=scheduler,
        on_result=on_result,
        shared_run=shared_run,
    )
    results = failed_early + results
    kept, labels, left_out = label_collection(results, n_actions=n_actions, shared_run=shared_run)
    for result in left_out:
        if on_result is not None:
            on_result(result)
    segments = _segment_rows(kept, labels)
    n_found = int(max((row["action"] for row in segments), default=-1)) + 1
    failed = [result for result in results if not result.ok] + left_out
    report = _report(kept, labels, segments, n_found, failed, shared_run is not None)
    written = _write_segments(output, segments)
    written += write_report(output, report)
    return CollectionResult(results, labels, segments, n_found, report, written)


def _train_shared(
    takes: Sequence[TakeInput],
    output: Path,
    config: Any,
    frame_rate: float | None,
    overwrite: bool,
) -> tuple[str, list[TakeResult]]:
    """Train one model on every readable take, one after another (``output/shared-run``).

    The takes' frames are joined end to end; the few windows that straddle
    two takes are kept (a window is 75 frames, a take hundreds or thousands).
    Returns the run folder and the takes that could not be read.
    """
    from mocap_seq2seq.data.sources import SequenceSource

    sources, failed = [], []
    for take in takes:
        try:
            sources.append(
                prepare_take(
                    take,
                    output / TAKES_FOLDER / take.name,
                    config,
                    frame_rate=frame_rate,
                    overwrite=overwrite,
                )[1]
            )
        except MocapError as error:
            failed.append(TakeResult(take.name, error=" ".join(str(error).split())))
    if not sources:
        raise UsageError("No take could be read; see the reasons above.", "one good take")
    width = Counter(source.frames.shape[1] for source in sources).most_common(1)[0][0]
    joined = SequenceSource(
        name="collection",
        description={
            "kind": "collection",
            "takes": [source.description for source in sources if source.frames.shape[1] == width],
        },
        frames=np.concatenate([s.frames for s in sources if s.frames.shape[1] == width]),
        frame_rate=sources[0].frame_rate,
        truth=None,
        root_columns=sources[0].root_columns,
    )
    run = output / "shared-run"
    train_run(config, joined, run, overwrite=overwrite)
    return str(run), failed


def _segment_rows(kept: list[TakeResult], labels: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    for result in kept:
        rate = result.frame_rate
        for index, (start, end) in enumerate(result.spans.tolist()):
            rows.append(
                {
                    "take": result.name,
                    "segment": index,
                    "start_frame": start,
                    "end_frame": end,
                    "start_s": round(frames_to_seconds(start, rate), 4) if rate else None,
                    "end_s": round(frames_to_seconds(end, rate), 4) if rate else None,
                    "action": int(labels[result.name][start]),
                }
            )
    return rows


def _write_segments(output: Path, rows: list[dict[str, Any]]) -> list[Path]:
    import csv
    import io

    columns = ("take", "segment", "start_frame", "end_frame", "start_s", "end_s", "action")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if row[key] is None else row[key] for key in columns})
    write_text(output / SEGMENTS_CSV, buffer.getvalue())
    write_json(output / SEGMENTS_JSON, {"segments": rows})
    return [output / SEGMENTS_CSV, output / SEGMENTS_JSON]


def _report(
    kept: list[TakeResult],
    labels: dict[str, np.ndarray],
    segments: list[dict[str, Any]],
    n_actions: int,
    failed: list[TakeResult],
    shared: bool,
) -> Any:
    from mocap_seq2seq.report.figures import collection_bars, figure_to_png_bytes
    from mocap_seq2seq.report.model import Column, Figure, Report, single_group_table

    def seconds(result: TakeResult, frames: int) -> str:
        if result.frame_rate:
            return f"{frames_to_seconds(frames, result.frame_rate):.1f} s"
        return f"{frames:,} frames"

    by_take = []
    for result in kept:
        values, counts = np.unique(labels[result.name], return_counts=True)
        parts = [f"{int(v) + 1}: {seconds(result, int(c))}" for v, c in zip(values, counts)]
        by_take.append(
            (result.name, f"{result.n_frames:,}", int(result.spans.shape[0]), ", ".join(parts))
        )
    takes_table = single_group_table(
        "Actions by take",
        (
            Column("take"),
            Column("frames", "right"),
            Column("segments", "right"),
            Column("actions (collection-wide number: time)"),
        ),
        by_take,
        caption="The same number is the same action in every take.",
    )
    by_action = []
    for action in range(n_actions):
        holders = sorted({row["take"] for row in segments if row["action"] == action})
        by_action.append((action + 1, len(holders), ", ".join(holders)))
    actions_table = single_group_table(
        "Takes by action",
        (Column("action", "right"), Column("takes", "right"), Column("which")),
        by_action,
    )
    tables = [actions_table, takes_table]
    if failed:
        tables.append(
            single_group_table(
                "Takes left out",
                (Column("take"), Column("why")),
                [(result.name, result.error) for result in failed],
            )
        )
    figure = collection_bars(
        [labels[result.name] for result in kept],
        [result.name for result in kept],
        [result.frame_rate for result in kept],
    )
    return Report(
        title="mocap-seq2seq: a collection of takes",
        paragraphs=(
            f"{len(kept)} takes, {len(segments)} segments, {n_actions} actions found across "
            "takes. "
            + (
                "One model was trained on all takes; its decoder states cut every take and "
                "compare segments across takes (one normalisation for all takes)."
                if shared
                else "Each take was cut by its own model's decoder states; segments were "
                "compared across takes by their poses (root position dropped, one "
                "normalisation for all takes)."
            ),
        ),
        tables=tuple(tables),
        figures=(Figure("takes", figure_to_png_bytes(figure), "Every take's actions."),),
        summary={
            "takes": [result.name for result in kept],
            "left_out": {result.name: result.error for result in failed},
            "n_actions": n_actions,
            "n_segments": len(segments),
        },
    )
