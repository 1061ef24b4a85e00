"""Helpers shared by the benchmark scripts in ``bench/``.

* where results go, and the machine and backend they were measured on;
* the leakage-free inputs of a segmenter (raw normalised poses) and the oracle
  counts read from the labels (for the "oracle" rows only);
* cached training and embedding: a run folder per (sequence, seed) that a
  rerun reuses, with the frame states saved as ``states.npy``;
* an append-only, resumable results CSV;
* small formatting helpers for the Markdown summaries.

The scripts are run from the repository root, e.g. ``python bench/segmentation.py``;
this module is imported as a sibling (``bench/`` is on ``sys.path`` then).
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SCRATCH_DIR = RESULTS_DIR / "scratch"
RUNS_DIR = SCRATCH_DIR / "runs"

#: Subject-86 trials that have frames (02, 04, 06 and 08 were lost upstream).
SUBJECT86_TRIALS = ("01", "03", "05", "07", "09", "10", "11", "12", "13", "14")

STATES_FILE = "states.npy"
FILLED_FILE = "filled.npy"
BENCH_RUN_FILE = "bench.json"


def log(message: str) -> None:
    """One progress line with the wall-clock time, flushed at once."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------- machine


def machine_string() -> str:
    """CPU model and number of cores, e.g. ``"AMD EPYC, 2 cores"``."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def keras_backend() -> str:
    """The Keras backend in use (imports keras: call it once)."""
    import keras

    return keras.backend.backend()


# ----------------------------------------------------------------------------- inputs


def raw_features(frames: np.ndarray) -> np.ndarray:
    """Raw normalised poses: the toolkit's own per-channel z-scoring, no labels involved."""
    from mocap_seq2seq.model.windows import fit_normalization

    return fit_normalization(frames).transform(frames)


def oracle_counts(labels: np.ndarray) -> tuple[int, int]:
    """True ``(number of actions, number of segments)``: what an "oracle" row is told.

    Read from :func:`mocap_seq2seq.pipeline.oracle_parameters`, the one definition.
    """
    from mocap_seq2seq.pipeline import oracle_parameters

    truth = oracle_parameters(np.asarray(labels), "kernel")
    return truth["n_clusters"], truth["n_segments"]


# ----------------------------------------------------------------------------- shipped models


def shipped_seed0(name: str) -> Path:
    """The run folder of the seed-0 model of a shipped pretrained model.

    Since issue 19 a shipped model is a seed ensemble whose ``member-0`` is the
    single seed-0 model shipped before (the same file); the benchmarks written
    before then measured that model, and keep measuring it.
    """
    from mocap_seq2seq.model.ensemble import member_dirs
    from mocap_seq2seq.pretrained import pretrained_folder

    return member_dirs(pretrained_folder(name))[0]


# ----------------------------------------------------------------------------- cached runs


@dataclass(frozen=True)
class CachedEmbedding:
    """Decoder states of a sequence from a cached run, and what producing them cost."""

    run_dir: Path
    states: np.ndarray
    filled: np.ndarray
    train_seconds: float
    embed_seconds: float
    info: dict[str, Any]


def _save_npy(path: Path, array: np.ndarray) -> None:
    from mocap_seq2seq.atomic import atomic_path

    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, array)


def trained_embedding(
    source: Any, config: Any, run_dir: Path, say: Callable[[str], None] = log
) -> CachedEmbedding:
    """Train (or reuse, or resume) the run of ``source`` in ``run_dir`` and embed its frames.

    A finished run folder with ``states.npy`` and ``bench.json`` is reused as
    is; a run with weights but no states is only embedded; a run killed during
    training resumes from its last checkpoint (its ``train_seconds`` then only
    counts the resumed part, and ``bench.json`` says ``resumed``).
    """
    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model import training

    run_dir = Path(run_dir)
    info_path = run_dir / BENCH_RUN_FILE
    states_path, filled_path = run_dir / STATES_FILE, run_dir / FILLED_FILE
    digest = training.frames_digest(source.frames)
    if info_path.is_file() and states_path.is_file() and filled_path.is_file():
        info = json.loads(info_path.read_text())
        if info.get("frames_sha256") != digest or not _same_config(info.get("train"), config):
            raise SystemExit(
                f"{run_dir} holds a run of other frames or another config; "
                "delete that folder or use another --runs-dir."
            )
        return CachedEmbedding(
            run_dir,
            np.load(states_path),
            np.load(filled_path),
            float(info.get("train_seconds", math.nan)),
            float(info.get("embed_seconds", math.nan)),
            info,
        )
    train_seconds, resumed, final_loss = math.nan, False, math.nan
    if not (run_dir / training.WEIGHTS_FILE).is_file():
        resumed = (run_dir / training.CHECKPOINT_FILE).is_file()
        say(f"  training {source.name} ({'resumed' if resumed else 'new'}) -> {run_dir}")
        result = training.train(
            config,
            source.frames,
            run_dir,
            data=source.description,
            monitor=None,
            resume=resumed,
            overwrite=not resumed,
            root_columns=getattr(source, "root_columns", ()),
        )
        train_seconds, final_loss = result.seconds, result.final_loss
    model, normalization, stored = training.load_run(run_dir)
    if stored.get("frames_sha256") != digest:
        raise SystemExit(f"{run_dir} was trained on other frames; delete it and rerun.")
    history = json.loads((run_dir / training.HISTORY_FILE).read_text())
    started = time.perf_counter()
    embedding = embed_sequence(model, normalization, source.frames)
    embed_seconds = time.perf_counter() - started
    _save_npy(states_path, embedding.states)
    _save_npy(filled_path, embedding.filled)
    info = {
        "sequence": source.name,
        "data": source.description,
        "frames_sha256": digest,
        "train": _config_dict(config),
        "train_seconds": train_seconds,
        "resumed": resumed,
        "embed_seconds": embed_seconds,
        "final_loss": final_loss,
        "forecast_ratio": (history.get("forecast_ratio") or [math.nan])[-1],
        "keras_backend": stored.get("keras_backend"),
    }
    from mocap_seq2seq.atomic import write_json

    write_json(info_path, info)
    return CachedEmbedding(
        run_dir, embedding.states, embedding.filled, train_seconds, embed_seconds, info
    )


#: Where the benchmarks keep their default-config models (``PRESETS['default']``),
#: one folder per (sequence, seed), shared by ensembles.py, features.py,
#: segmentation.py and automatic_k.py so that each model is trained once.
DEFAULT_RUNS = {"subject86": SCRATCH_DIR / "ensembles", "actions": SCRATCH_DIR / "features"}
#: Subject 86's seed 0 is the shipped single model's states when bench/ensembles.py
#: cached them (the same configuration, trained with the monitor on).
PRETRAINED_SEED_FOLDER = "seed-0-pretrained"


def default_run_dir(workload: str, index: str | int, seed: int) -> Path:
    """The cached default model of subject-86 trial ``index`` or case-(i) concat ``index``."""
    if workload == "subject86":
        return DEFAULT_RUNS[workload] / f"trial-{index}" / f"seed-{seed}"
    if workload == "actions":
        return DEFAULT_RUNS[workload] / f"concat-{int(index):02d}" / f"seed-{seed}"
    raise ValueError(f"unknown workload {workload!r}")


def cached_states_path(workload: str, index: str | int, seed: int) -> Path | None:
    """The states file of a cached default model, or None when it is not produced yet.

    Subject 86's seed 0 falls back to the shipped model's states
    (:data:`PRETRAINED_SEED_FOLDER`) when no seed-0 run of its own is cached.
    """
    run_dir = default_run_dir(workload, index, seed)
    if (run_dir / STATES_FILE).is_file():
        return run_dir / STATES_FILE
    shipped = run_dir.parent / PRETRAINED_SEED_FOLDER / STATES_FILE
    if workload == "subject86" and seed == 0 and shipped.is_file():
        return shipped
    return None


def _embed_shipped_seed0(trial: str, source: Any, config: Any) -> Path | None:
    """Embed ``source`` with the shipped seed-0 model of ``trial`` into the cache.

    None (and a log line) when that model is not ``config`` or was trained on
    other frames: seed 0 is then trained like the other seeds.
    """
    import dataclasses

    from mocap_seq2seq.embedding import embed_sequence
    from mocap_seq2seq.model import training

    run = shipped_seed0(f"trial-{trial}")
    stored = training.read_run_config(run)
    same_config = dataclasses.asdict(stored.config) == dataclasses.asdict(config)
    if not same_config or stored.raw["frames_sha256"] != training.frames_digest(source.frames):
        log(f"pretrained/trial-{trial} differs from the default config: training seed 0")
        return None
    model, normalization, _ = training.load_run(run)
    path = default_run_dir("subject86", trial, 0).parent / PRETRAINED_SEED_FOLDER / STATES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_npy(path, embed_sequence(model, normalization, source.frames).states)
    return path


def default_states(
    workload: str, index: str | int, seed: int, source: Any = None
) -> CachedEmbedding | None:
    """States of the default model with ``seed`` of one sequence, trained once and cached.

    Without ``source`` nothing is trained: None when the model is not cached yet.
    Subject 86's seed 0 is the shipped model when it is the default config.
    """
    from mocap_seq2seq.model.training import PRESETS

    config = PRESETS["default"].replace(seed=seed)
    run_dir = default_run_dir(workload, index, seed)
    path = cached_states_path(workload, index, seed)
    if path is None and source is not None and workload == "subject86" and seed == 0:
        path = _embed_shipped_seed0(str(index), source, config)
    if path is not None and path.parent != run_dir:  # the shipped model's states
        return CachedEmbedding(path.parent, np.load(path), np.zeros(0), math.nan, math.nan, {})
    if source is None:
        if path is None:
            return None
        info_path = run_dir / BENCH_RUN_FILE
        info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        return CachedEmbedding(
            run_dir,
            np.load(path),
            np.zeros(0),
            float(info.get("train_seconds", math.nan)),
            float(info.get("embed_seconds", math.nan)),
            info,
        )
    return trained_embedding(source, config, run_dir)


#: TrainConfig fields added after runs were cached, with the behaviour those runs had
#: (absolute root position, plain MSE), whatever the library's default became since.
PREDATING_FIELDS: dict[str, Any] = {"root_velocity": False, "slowness": 0.0}


def _same_config(stored: dict[str, Any] | None, config: Any) -> bool:
    """Whether a cached run's config is ``config``; fields added to TrainConfig
    after the run was cached count as :data:`PREDATING_FIELDS`, else their defaults."""
    import dataclasses

    if stored is None:
        return False
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    return {**defaults, **PREDATING_FIELDS, **stored} == _config_dict(config)


def _config_dict(config: Any) -> dict[str, Any]:
    import dataclasses

    return json.loads(json.dumps(dataclasses.asdict(config)))


# ----------------------------------------------------------------------------- results CSV


class ResultsCSV:
    """An append-only CSV of benchmark rows, keyed by some of its columns, resumable.

    Rows are appended and flushed one by one, so a killed run loses at most
    the row being written; on opening, a torn last line is dropped (the file
    is rewritten atomically then, the only time it is rewritten) and the keys
    already present are remembered so that a rerun skips them.
    """

    def __init__(self, path: Path, columns: Sequence[str], key: Sequence[str]):
        self.path = Path(path)
        self.columns = list(columns)
        self.key = list(key)
        self.keys: set[tuple[str, ...]] = set()
        if self.path.is_file() and self.path.stat().st_size > 0:
            self._load()

    def _load(self) -> None:
        text = self.path.read_text()
        if not text.endswith("\n"):
            complete = text[: text.rfind("\n") + 1]
            from mocap_seq2seq.atomic import write_text

            write_text(self.path, complete)
            log(f"dropped a torn last line of {self.path}")
            text = complete
        rows = list(csv.reader(text.splitlines()))
        if not rows:
            return
        if rows[0] != self.columns:
            raise SystemExit(
                f"{self.path} has other columns than this script writes; move it aside "
                "(or delete it) and rerun."
            )
        for row in rows[1:]:
            if len(row) == len(self.columns):
                self.keys.add(self.key_of(dict(zip(self.columns, row))))

    def key_of(self, row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(_cell(row[name]) for name in self.key)

    def __contains__(self, row: dict[str, Any]) -> bool:
        return self.key_of(row) in self.keys

    def append(self, row: dict[str, Any]) -> None:
        self.append_many([row])

    def append_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows in one write (one flush): a key whose rows come together stays whole."""
        for row in rows:
            missing = set(self.columns) - set(row)
            if missing:
                raise ValueError(f"row lacks columns {sorted(missing)}")
        new = not self.path.is_file() or self.path.stat().st_size == 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if new:
                writer.writerow(self.columns)
            writer.writerows([[_cell(row[name]) for name in self.columns] for row in rows])
            handle.flush()
            os.fsync(handle.fileno())
        self.keys.update(self.key_of(row) for row in rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{float(value):.6g}"
    return str(value)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every complete row of a results CSV as a dict of strings (none if the file is absent)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return [row for row in reader if None not in row.values() and None not in row]


# ----------------------------------------------------------------------------- formatting


def to_float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (NaN for fewer than two) and count of the finite values."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan, math.nan, 0
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return float(np.mean(finite)), std, len(finite)


def format_mean_std(mean: float, std: float, digits: int = 2) -> str:
    """``"0.91 ± 0.03"``, or ``"0.91"`` when there is no spread, ``"–"`` when no value."""
    if not math.isfinite(mean):
        return "–"
    if not math.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub Markdown table; numeric-looking columns are right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    align = []
    for column in range(len(header)):
        cells = [row[column] for row in rows if row[column] not in ("", "–")]
        numeric = bool(cells) and all(_looks_numeric(cell) for cell in cells)
        align.append("---:" if numeric else "---")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _looks_numeric(cell: str) -> bool:
    head = cell.split(" ± ")[0]
    try:
        float(head)
    except ValueError:
        return False
    return True


def format_seconds(seconds: float) -> str:
    """``"1 h 02 min"``, ``"3 min 05 s"`` or ``"42 s"``."""
    if not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


# ----------------------------------------------------------------------------- sequences


def concat_counts(concat_seed: int) -> tuple[int, int]:
    """Distinct actions (3..8) and pieces (actions + 2) of a case-(i) concatenation, seeded."""
    rng = np.random.default_rng([concat_seed, 5])
    n_actions = int(rng.integers(3, 9))
    return n_actions, n_actions + 2


def trial_loader(trial: str) -> Callable[[], Any]:
    """A deferred loader of a subject-86 trial (loaded only when a row needs it)."""

    def load() -> Any:
        from mocap_seq2seq.data.sources import trial_source

        return trial_source(trial)

    return load


def concat_loader(concat_seed: int, drop_root: bool) -> Callable[[], Any]:
    """A deferred loader of the benchmarks' case-(i) concatenation ``concat_seed``."""

    def load() -> Any:
        from mocap_seq2seq.data.sources import concatenation_source

        n_actions, n_pieces = concat_counts(concat_seed)
        return concatenation_source(
            n_actions=n_actions, n_pieces=n_pieces, seed=concat_seed, drop_root=drop_root
        )

    return load
