"""Train (or resume) a seq2seq predictor on one sequence: configuration, presets, the loop.

:func:`train` is a short loop over seeded batches whose work at each checkpoint
is done by small callbacks (:mod:`mocap_seq2seq.model.callbacks`); the run
folder's files, how they are read back and the lock on it are
:mod:`mocap_seq2seq.model.run_folder`. Window sampling is seeded by ``(seed,
step)``, so a resumed run sees the same windows it would have seen and ends
bit for bit where an uninterrupted one does.

Two registries drive the command line's choices: :data:`PRESETS` (``--preset``)
and :data:`MODEL_TYPES` (``--model-type``, each naming its trainer in
:data:`mocap_seq2seq.model.aged.TRAINERS`). :func:`configure` applies the rules
that tie options together, so that the library and the command line refuse the
same things.

The training-optimality monitor (a claim of the paper) needs the embedding
and its clustering, which sit downstream of this module; it comes in as a
callable ``monitor(model, normalized_frames) -> float`` built by the caller.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import (
    LOCK_FILE,
    atomic_path,
    hold_lock,
    remove_stale_temporaries,
    write_json,
)
from mocap_seq2seq.errors import (
    MocapError,
    ModelFileError,
    OutputExistsError,
    TrainingDivergedError,
    TrainingInterruptedError,
    UsageError,
)
from mocap_seq2seq.model import callbacks as cb
from mocap_seq2seq.model.callbacks import StepReport, TrainingState
from mocap_seq2seq.model.distribution import check_batch_size
from mocap_seq2seq.model.run_folder import (
    BEST_WEIGHTS_FILE,
    CHECKPOINT_FILE,
    CONFIG_FILE,
    HISTORY_FILE,
    MODEL_FILE,
    NORMALIZATION_FILE,
    WEIGHTS_FILE,
    StoredRun,
    checkpoint_step,
    read_checkpoint,
    read_config,
    read_history,
    read_normalization,
    read_run,
    remove_run_files,
)
from mocap_seq2seq.model.windows import (
    Normalization,
    check_window,
    fit_normalization,
    sample_windows,
)
from mocap_seq2seq.validation import check_int

__all__ = [
    "BEST_WEIGHTS_FILE",
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "HISTORY_FILE",
    "MODEL_FILE",
    "MODEL_TYPES",
    "NORMALIZATION_FILE",
    "PRESETS",
    "WEIGHTS_FILE",
    "ModelType",
    "StepReport",
    "StoredRun",
    "TrainConfig",
    "TrainResult",
    "configure",
    "frames_digest",
    "initial_model",
    "load_run",
    "read_run_config",
    "train",
]


@dataclass(frozen=True)
class ModelType:
    """A kind of model ``train`` can make: its trainer and what it trains with.

    ``trainer`` names the entry of :data:`mocap_seq2seq.model.aged.TRAINERS`
    (looked up when training starts, so that choosing one needs no Keras).
    """

    name: str
    help: str
    trainer: str
    slowness: bool


#: Model types by name (``--model-type``).
MODEL_TYPES: dict[str, ModelType] = {
    item.name: item
    for item in (
        ModelType("seq2seq", "the GRU predictor (next-pose MSE + slowness)", "seq2seq", True),
        ModelType(
            "aged-paper-joint",
            "AGED with two discriminators, one optimiser over all weights (the paper's code)",
            "aged-paper-joint",
            False,
        ),
        ModelType(
            "aged-adversarial",
            "AGED with alternating discriminator and predictor updates",
            "aged-adversarial",
            False,
        ),
    )
}
#: Windows of the fixed evaluation batch for the forecast error.
N_EVALUATION_WINDOWS = 256
#: Seeds are what numpy's and Keras' generators take: 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a training run; defaults train a trial in minutes on 2 CPU cores.

    The paper's settings are the named presets ``paper-actions`` and
    ``paper-subject86`` in :data:`PRESETS`, not the default: GRU 1024 for 10k
    steps is about 3 hours of this CPU.

    Args:
        hidden_size: GRU units (the embedding's dimension).
        source_length: frames the encoder reads.
        target_length: frames the decoder predicts (and the embedding's stride).
        batch_size: windows per step.
        steps: optimisation steps. 1000 by default: the embedding-lift ablation
            (``bench/embedding_lift.py``) found the same segmentation ARI after
            500, 1000, 2000 and 4000 steps, so the default takes the cheapest
            that still makes a clearly better predictor than repeating the last pose.
        learning_rate: Adam learning rate.
        clip_norm: global gradient-norm clipping.
        seed: seeds initial weights and the window sampling.
        tied: encoder and decoder share their GRU weights (the paper's choice).
        residual: the decoder predicts the change from the previous pose.
        model_type: one of :data:`MODEL_TYPES`.
        checkpoint_every: steps between checkpoints (and monitor evaluations).
        keep_best: also keep the weights with the best monitor score.
        paper_protocol: windows cut inside ground-truth segments (uses the
            labels; only for reproducing the paper, labelled in every report).
        root_velocity: feed the root position as its frame-to-frame change
            (the columns come from the data: ``train(root_columns=...)``).
        slowness: weight of a slow-feature term on the decoder states
            (:func:`mocap_seq2seq.model.trainers.slowness_loss`), added to the next-pose
            MSE; 0 gives the paper's objective. The AGED model types ignore it.
            The default, 3.0, came from the lift study: on the ten subject-86
            trials it made the states segment better than plain MSE did
            (bench/results/embedding_lift.md, factor ``objective``).
    """

    hidden_size: int = 256
    source_length: int = 50
    target_length: int = 25
    batch_size: int = 16
    steps: int = 1000
    learning_rate: float = 1e-3
    clip_norm: float = 1.0
    seed: int = 0
    tied: bool = True
    residual: bool = True
    model_type: str = "seq2seq"
    checkpoint_every: int = 250
    keep_best: bool = False
    paper_protocol: bool = False
    root_velocity: bool = False
    slowness: float = 3.0

    def __post_init__(self) -> None:
        positive = (
            "hidden_size",
            "source_length",
            "target_length",
            "batch_size",
            "steps",
            "checkpoint_every",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(
                    f"The '{name}' of the training config must be a positive integer. "
                    f"Got {value!r}.",
                    fix=f"Pass --{name.replace('_', '-')} 1 or more.",
                )
        for name in ("learning_rate", "clip_norm"):
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (number and math.isfinite(value) and value > 0):
                raise UsageError(
                    f"The '{name}' of the training config must be a positive number. "
                    f"Got {value!r}.",
                )
        for name in ("tied", "residual", "keep_best", "paper_protocol", "root_velocity"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(
                    f"The '{name}' of the training config must be true or false. "
                    f"Got {getattr(self, name)!r}."
                )
        if not (
            isinstance(self.slowness, (int, float))
            and not isinstance(self.slowness, bool)
            and math.isfinite(self.slowness)
        ):
            raise UsageError(f"The 'slowness' must be a number. Got {self.slowness!r}.")
        if self.slowness < 0:
            raise UsageError(f"The 'slowness' must be 0 or more. Got {self.slowness!r}.")
        check_int(
            self.seed,
            "seed",
            owner="the training config",
            low=0,
            high=MAX_SEED,
        )
        if not isinstance(self.model_type, str) or self.model_type not in MODEL_TYPES:
            raise UsageError(
                f"Unknown model type {self.model_type!r}.", f"one of {', '.join(MODEL_TYPES)}"
            )

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, TrainConfig] = {
    "default": TrainConfig(),
    # Su & Shlizerman's settings: GRU 1024, Adam 1e-4, clip-norm 1, batch 16, 10k iterations.
    # The paper's objective is next-pose MSE alone: no slowness term.
    "paper-actions": TrainConfig(
        hidden_size=1024,
        learning_rate=1e-4,
        steps=10000,
        source_length=25,
        target_length=25,
        slowness=0.0,
    ),
    "paper-subject86": TrainConfig(
        hidden_size=1024,
        learning_rate=1e-4,
        steps=10000,
        source_length=50,
        target_length=25,
        slowness=0.0,
    ),
    # Seconds, not minutes: for tests and smoke runs.
    "tiny": TrainConfig(hidden_size=32, steps=40, checkpoint_every=20, batch_size=8),
}


@dataclass(frozen=True)
class TrainResult:
    """The outcome of :func:`train`."""

    run_dir: Path
    steps: int
    final_loss: float
    seconds: float
    history: dict[str, list[float]] = field(repr=False)
    best_step: int | None = None
    best_monitor: float | None = None


Monitor = Callable[[Any, np.ndarray], float]


def frames_digest(frames: np.ndarray) -> str:
    """SHA-256 of the frames' float32 bytes: detects resuming on other data."""
    return hashlib.sha256(np.ascontiguousarray(frames, dtype=np.float32).tobytes()).hexdigest()


def configure(
    preset: str = "default",
    *,
    monitor: bool = True,
    **changes: Any,
) -> TrainConfig:
    """A :data:`PRESETS` entry with ``changes``, under the rules that tie options together.

    * The AGED model types train with their own objective: asking them for a
      slowness term is refused, and their config records slowness 0.
    * ``keep_best`` keeps the weights of the best monitor score, so it needs
      the monitor.

    Args:
        preset: a key of :data:`PRESETS`.
        monitor: whether the caller will score the monitor at checkpoints.
        **changes: TrainConfig fields; None values are ignored (left to the preset).

    Example:
    >>> configure("tiny", steps=10).steps
    10
    >>> configure(model_type="aged-adversarial").slowness
    0.0
    """
    if preset not in PRESETS:
        raise UsageError(f"Unknown preset '{preset}'.", f"one of {', '.join(PRESETS)}")
    changes = {key: value for key, value in changes.items() if value is not None}
    model_type = MODEL_TYPES.get(changes.get("model_type", PRESETS[preset].model_type))
    if model_type is not None and not model_type.slowness:
        if changes.get("slowness"):
            raise UsageError(
                f"--slowness applies to --model-type seq2seq only, not {model_type.name}.",
                fix="Drop --slowness, or train the seq2seq model.",
            )
        changes["slowness"] = 0.0  # recorded as what AGED trains with
    if changes.get("keep_best") and not monitor:
        raise UsageError("--keep-best needs the monitor.", fix="Drop --no-monitor.")
    return PRESETS[preset].replace(**changes)


def read_run_config(run_dir: str | os.PathLike[str]) -> StoredRun:
    """What a run folder's config.json says: its TrainConfig, data and monitor flag.

    A damaged config.json is a :class:`~mocap_seq2seq.errors.ModelFileError`
    naming the file (exit 1).
    """
    return read_run(Path(run_dir), TrainConfig)


def train(
    config: TrainConfig,
    frames: np.ndarray,
    run_dir: str | os.PathLike[str],
    *,
    data: dict[str, Any] | None = None,
    segment_bounds: np.ndarray | None = None,
    monitor: Monitor | None = None,
    progress: Callable[[StepReport], None] | None = None,
    log: Callable[[str], None] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    root_columns: tuple[int, ...] = (),
) -> TrainResult:
    """Train (or resume) a run on one sequence of raw frames.

    The run folder is locked for the whole call (a second process writing it
    is refused at once). A run stopped before its first checkpoint resumes
    from step 0 with its stored config.

    Args:
        config: hyper-parameters (on resume, the run's own config wins except ``steps``).
        frames: ``(n_frames, n_input_channels)`` raw frames; normalised here.
        run_dir: the run folder (created; must be new unless ``resume`` or ``overwrite``).
        data: JSON description of where ``frames`` come from (stored in config.json).
        segment_bounds: ``(n_segments, 2)`` ground-truth segments; only with
            ``config.paper_protocol``.
        monitor: ``monitor(model, normalized_frames) -> float``, the label-free score at
            every checkpoint; higher is better.
        progress: called after every step with a :class:`StepReport`.
        log: called with one-line messages (checkpoints, resume).
        resume: continue from the run folder's last checkpoint.
        overwrite: start afresh in an existing run folder.
        root_columns: the root-position channels of ``frames``; with
            ``config.root_velocity`` they are fed as velocities.
    """
    run = Path(run_dir)
    say = log or (lambda message: None)
    frames = np.asarray(frames)
    digest = frames_digest(frames)
    if resume:
        stored = _check_resumable(run, digest)
        config = stored.config.replace(steps=max(config.steps, 1))
    check_window(frames.shape[0], config.source_length, config.target_length)
    if config.paper_protocol and segment_bounds is None:
        raise UsageError("The paper protocol needs the ground-truth segments.")
    if config.keep_best and monitor is None:
        raise UsageError("keep_best needs a monitor.", fix="Drop --no-monitor.")
    check_batch_size(config.batch_size)
    if not resume:  # only once the inputs are known good: no empty run folder on bad input
        make_run_folder(run)
    with hold_lock(run, what="Run folder"):
        return _train_locked(
            config,
            frames,
            run,
            digest,
            data,
            segment_bounds,
            monitor,
            progress,
            say,
            resume,
            overwrite,
            root_columns,
        )


def _train_locked(
    config: TrainConfig,
    frames: np.ndarray,
    run: Path,
    digest: str,
    data: dict[str, Any] | None,
    segment_bounds: np.ndarray | None,
    monitor: Monitor | None,
    progress: Callable[[StepReport], None] | None,
    say: Callable[[str], None],
    resume: bool,
    overwrite: bool,
    root_columns: tuple[int, ...],
) -> TrainResult:
    import keras

    from mocap_seq2seq.model import seq2seq as model_lib

    pointer = read_checkpoint(run) if resume else None
    if resume and pointer is None:
        # Stopped before its first checkpoint: start again from step 0, same config.
        say(f"{run} has no checkpoint yet: training it from step 0.")
        resume, overwrite = False, True
    if resume:
        normalization = read_normalization(run)
        history = read_history(run, up_to_step=pointer["step"])
        start_step = pointer["step"]
        config = config.replace(steps=max(config.steps, start_step))
    else:
        _clear_run(run, overwrite)
        velocity = tuple(root_columns) if config.root_velocity else ()
        normalization = fit_normalization(frames, velocity_columns=velocity)
        start_step = 0
    normalized = normalization.transform(frames)
    allowed = None
    if config.paper_protocol:
        from mocap_seq2seq.model.windows import starts_inside_segments

        allowed = starts_inside_segments(
            segment_bounds, config.source_length + config.target_length
        )

    model = initial_model(config, normalization.n_channels)
    trainer = _make_trainer(model, config)
    if resume:
        _load_state(run / pointer["file"], trainer)
        say(f"Resuming {run} from step {start_step}.")
        remove_stale_temporaries(run)
    config_json = {
        "train": dataclasses.asdict(config),
        "model": model_lib.model_config(model),
        "data": data or {},
        "frames_sha256": digest,
        "n_frames": int(frames.shape[0]),
        "n_input_channels": int(frames.shape[1]),
        "keras_backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "monitor": monitor is not None,
    }
    if resume:
        # Only once the state has loaded: a failed resume leaves config.json as it was.
        # A resume may extend the run: config.json then says what it now trains to.
        stored = read_config(run)
        if stored["train"].get("steps") != config.steps or stored.get("monitor") is None:
            write_json(
                run / CONFIG_FILE,
                {**stored, "train": dataclasses.asdict(config), "monitor": monitor is not None},
            )
    else:
        write_json(run / NORMALIZATION_FILE, normalization.to_dict())
        write_json(run / CONFIG_FILE, config_json)

    evaluation = sample_windows(
        normalized,
        config.source_length,
        config.target_length,
        N_EVALUATION_WINDOWS,
        np.random.default_rng([config.seed, 10**9]),
        allowed,
    )
    state = TrainingState(run, config, model, trainer, normalized, step=start_step)
    if resume:
        state.resume_from(history)
    callbacks: list[cb.Callback] = [
        cb.ForecastScore(*evaluation),
        cb.MonitorScore(monitor),
        cb.History(),
        cb.KeepBest(save=config.keep_best),
        cb.Checkpoint(),
        cb.LogLine(say),
    ]
    if progress is not None:
        callbacks.append(cb.Progress(progress))
    for callback in callbacks:
        callback.on_train_begin(state)
    try:
        for step in range(start_step + 1, config.steps + 1):
            state.step = step
            source, target = sample_windows(
                normalized,
                config.source_length,
                config.target_length,
                config.batch_size,
                np.random.default_rng([config.seed, step]),
                allowed,
            )
            losses = trainer.train_on_batch(source, target)
            state.losses = {key: float(value) for key, value in losses.items()}
            if not math.isfinite(state.loss):
                raise TrainingDivergedError(
                    f"The training loss became {state.loss} at step {step}.",
                    "a finite loss",
                    "Lower --learning-rate or --clip-norm; " + _what_is_kept(run),
                )
            if step % config.checkpoint_every == 0 or step == config.steps:
                for callback in callbacks:
                    callback.on_checkpoint(state)
            for callback in callbacks:
                callback.on_step_end(state)
    except KeyboardInterrupt:
        raise TrainingInterruptedError(
            f"Training interrupted at step {state.step}; " + _what_is_kept(run),
            fix=f"Continue with `mocap train --resume {run}`.",
        ) from None
    with atomic_path(run / WEIGHTS_FILE) as temporary:
        model.save_weights(temporary)
    with atomic_path(run / MODEL_FILE) as temporary:
        model.save(temporary)
    loss = state.loss
    return TrainResult(
        run_dir=run,
        steps=config.steps,
        final_loss=loss
        if math.isfinite(loss)
        else (state.history["loss"][-1] if state.history["loss"] else loss),
        seconds=time.monotonic() - state.started,
        history=state.history,
        best_step=state.best_step,
        best_monitor=state.best_monitor,
    )


def initial_model(config: TrainConfig, n_channels: int) -> Any:
    """The predictor :func:`train` starts from: seeded by ``config.seed``, untrained.

    Also the "untrained" control of the benchmarks: the same weights a run
    begins with.
    """
    import keras

    from mocap_seq2seq.model import seq2seq as model_lib

    keras.utils.set_random_seed(config.seed)
    return model_lib.build_seq2seq(
        n_channels,
        hidden_size=config.hidden_size,
        source_length=config.source_length,
        target_length=config.target_length,
        tied=config.tied,
        residual=config.residual,
    )


def _make_trainer(model: Any, config: TrainConfig) -> Any:
    """The trainer :data:`MODEL_TYPES` names for ``config.model_type``."""
    from mocap_seq2seq.model.aged import TRAINERS

    options: dict[str, Any] = {"learning_rate": config.learning_rate, "clip_norm": config.clip_norm}
    if MODEL_TYPES[config.model_type].slowness:
        options["slowness"] = config.slowness
    return TRAINERS[MODEL_TYPES[config.model_type].trainer](model, **options)


def _check_resumable(run: Path, digest: str) -> StoredRun:
    stored = read_run_config(run)
    if stored.raw["frames_sha256"] != digest:
        raise ModelFileError(
            f"The run '{run}' was trained on other frames than the ones given now.",
            "the same data as the original run",
            "Resume with the run's own data, or start a new run.",
        )
    return stored


def make_run_folder(run: Path) -> None:
    """Create ``run`` (refusing a file in its place) so that it can be locked."""
    if run.exists() and not run.is_dir():
        raise UsageError(
            f"The run folder '{run}' is a file.",
            "a folder for the run",
            "Pass another --output.",
        )
    try:
        run.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MocapError(
            f"Cannot create run folder '{run}': {error.strerror or error}.",
            "a writable location",
            "Pass another --output.",
        ) from error
    if not os.access(run, os.W_OK):
        raise MocapError(
            f"Run folder '{run}' is not writable.", "a writable location", "Pass another --output."
        )


def _clear_run(run: Path, overwrite: bool) -> None:
    """Check a new run's folder holds nothing else (or clear it, with ``overwrite``)."""
    leftovers = [path for path in run.iterdir() if path.name != LOCK_FILE]
    if leftovers and not overwrite:
        raise OutputExistsError(
            f"Run folder '{run}' already exists and is not empty.",
            "a new folder",
            "Pass --resume to continue it, --overwrite to restart it, or another --output.",
        )
    remove_run_files(run)
    remove_stale_temporaries(run)


def _load_state(state_file: Path, trainer: Any) -> None:
    try:
        trainer.load_state(state_file)
    except Exception as error:  # noqa: BLE001 - any failure means an unusable checkpoint
        raise ModelFileError(
            f"The checkpoint '{state_file}' cannot be loaded ({_first_line(error)}).",
            "a checkpoint written by the same configuration",
            "Start a new run, or pass --overwrite to restart this one.",
        ) from error


def _what_is_kept(run: Path) -> str:
    """What survives a stop, said truthfully: the last checkpoint, or that there is none."""
    step = checkpoint_step(run)
    if step is None:
        return "no checkpoint was written yet (a resume starts from step 0)."
    return f"the checkpoint of step {step} is intact."


def _first_line(error: BaseException) -> str:
    # Keras loading errors run over many lines; the error boundary prints one.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__).rstrip(":.")


def load_run(
    run_dir: str | os.PathLike[str], *, best: bool = False
) -> tuple[Any, Normalization, dict]:
    """Load a run's predictor (from weights + config, readable by any backend).

    Returns:
        ``(model, normalization, config_json)``.
    """
    from mocap_seq2seq.model import seq2seq as model_lib

    run = Path(run_dir)
    weights = run / (BEST_WEIGHTS_FILE if best else WEIGHTS_FILE)
    stored = read_config(run)
    normalization = read_normalization(run)
    if best and not weights.is_file():
        raise ModelFileError(
            f"'{run}' has no {weights.name}: it was trained without --keep-best.",
            "a run trained with --keep-best",
            "Drop --best to use the final weights.",
        )
    if not weights.is_file():
        raise ModelFileError(
            f"'{run}' has no {weights.name}: the training did not finish.",
            "a finished run",
            f"Finish it with `mocap train --resume {run}`.",
        )
    model = model_lib.build_from_config(stored["model"])
    try:
        model.load_weights(weights)
    except Exception as error:  # noqa: BLE001
        raise ModelFileError(
            f"The weights '{weights}' do not fit the run's model config ({_first_line(error)}).",
            "weights saved by the same configuration",
            "Use the weights file of this run, or train it again.",
        ) from error
    return model, normalization, stored
