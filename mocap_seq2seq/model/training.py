"""Train a seq2seq predictor on one sequence, with checkpoints, resume and a monitor.

A run folder holds everything needed to use or continue a training::

    config.json          TrainConfig, model config, what data was learned, backend
    normalization.json   per-channel mean/std and the kept-channel mask
    checkpoint.json      points at the last good trainer state (step, file)
    checkpoint-<step>.state.h5   weights and optimizer state at that step
    history.json         loss, forecast error vs zero velocity, monitor score
    model.weights.h5     the predictor's final weights (+ model.keras)
    best.weights.h5      the weights with the best monitor score (keep_best)

Every file is written atomically and ``checkpoint.json`` is replaced only
after the state file it names is complete, so a run killed at any moment
resumes from its last checkpoint. Window sampling is seeded by
``(seed, step)``: a resumed run sees the same windows it would have seen.

The training-optimality monitor (a claim of the paper) needs the embedding
and its clustering, which sit downstream of this module; it comes in as a
callable ``monitor(model, normalized_frames) -> float`` built by the caller.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import (
    atomic_path,
    pause_for_tests,
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
from mocap_seq2seq.model.distribution import check_batch_size
from mocap_seq2seq.model.windows import (
    Normalization,
    check_window,
    fit_normalization,
    sample_windows,
)

CONFIG_FILE = "config.json"
NORMALIZATION_FILE = "normalization.json"
CHECKPOINT_FILE = "checkpoint.json"
HISTORY_FILE = "history.json"
WEIGHTS_FILE = "model.weights.h5"
MODEL_FILE = "model.keras"
BEST_WEIGHTS_FILE = "best.weights.h5"

#: Model types and what builds their trainer (see :func:`_make_trainer`).
MODEL_TYPES = ("seq2seq", "aged-paper-joint", "aged-adversarial")
#: Windows of the fixed evaluation batch for the forecast error.
N_EVALUATION_WINDOWS = 256


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
            if not isinstance(value, int) or value < 1:
                raise UsageError(
                    f"The '{name}' of the training config must be a positive integer. "
                    f"Got {value!r}.",
                    fix=f"Pass --{name.replace('_', '-')} 1 or more.",
                )
        for name in ("learning_rate", "clip_norm"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise UsageError(
                    f"The '{name}' of the training config must be a positive number. "
                    f"Got {value!r}.",
                )
        if not (isinstance(self.slowness, (int, float)) and math.isfinite(self.slowness)):
            raise UsageError(f"The 'slowness' must be a number. Got {self.slowness!r}.")
        if self.slowness < 0:
            raise UsageError(f"The 'slowness' must be 0 or more. Got {self.slowness!r}.")
        if self.model_type not in MODEL_TYPES:
            raise UsageError(
                f"Unknown model type '{self.model_type}'.", f"one of {', '.join(MODEL_TYPES)}"
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
class StepReport:
    """What the progress callback receives after each step."""

    step: int
    total_steps: int
    loss: float
    monitor: float | None
    forecast_ratio: float | None
    seconds: float


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
    import keras

    from mocap_seq2seq.model import seq2seq as model_lib

    run = Path(run_dir)
    say = log or (lambda message: None)
    frames = np.asarray(frames)
    digest = frames_digest(frames)
    start_step, history = 0, _empty_history()
    if resume:
        config, normalization, start_step, history = _load_resume(run, config, digest)
        say(f"Resuming {run} from step {start_step}.")
    else:
        velocity = tuple(root_columns) if config.root_velocity else ()
        normalization = fit_normalization(frames, velocity_columns=velocity)
    check_window(frames.shape[0], config.source_length, config.target_length)
    if config.paper_protocol and segment_bounds is None:
        raise UsageError("The paper protocol needs the ground-truth segments.")
    check_batch_size(config.batch_size)
    if not resume:  # only once the inputs are known good: no empty run folder on bad input
        _prepare_new_run(run, overwrite)
    normalized = normalization.transform(frames)
    allowed = None
    if config.paper_protocol:
        from mocap_seq2seq.model.windows import starts_inside_segments

        allowed = starts_inside_segments(
            segment_bounds, config.source_length + config.target_length
        )

    model = initial_model(config, normalization.n_channels)
    trainer = _make_trainer(model, config)
    if not resume:
        write_json(run / NORMALIZATION_FILE, normalization.to_dict())
        write_json(
            run / CONFIG_FILE,
            {
                "train": dataclasses.asdict(config),
                "model": model_lib.model_config(model),
                "data": data or {},
                "frames_sha256": digest,
                "n_frames": int(frames.shape[0]),
                "n_input_channels": int(frames.shape[1]),
                "keras_backend": keras.backend.backend(),
                "keras_version": keras.__version__,
            },
        )
    else:
        state_file = run / json.loads((run / CHECKPOINT_FILE).read_text())["file"]
        try:
            trainer.load_state(state_file)
        except Exception as error:  # noqa: BLE001 - any failure means an unusable checkpoint
            raise ModelFileError(
                f"The checkpoint '{state_file}' cannot be loaded ({_first_line(error)}).",
                "a checkpoint written by the same configuration",
                "Start a new run, or pass --overwrite to restart this one.",
            ) from error

    evaluation_rng = np.random.default_rng([config.seed, 10**9])
    evaluation = sample_windows(
        normalized,
        config.source_length,
        config.target_length,
        N_EVALUATION_WINDOWS,
        evaluation_rng,
        allowed,
    )
    zero_velocity_mse = float(np.mean((evaluation[1] - evaluation[0][:, -1:, :]) ** 2))
    # "monitor" has one entry per checkpoint (None where no monitor ran), so
    # that it stays aligned with "step" whatever a resumed run passes.
    scored = [(m, s) for m, s in zip(history["monitor"], history["step"]) if m is not None]
    best = max(scored) if scored else (None, None)
    started = time.monotonic()
    loss = float("nan")
    step = start_step
    last_monitor: float | None = scored[-1][0] if scored else None
    last_ratio: float | None = history["forecast_ratio"][-1] if history["forecast_ratio"] else None
    try:
        for step in range(start_step + 1, config.steps + 1):
            rng = np.random.default_rng([config.seed, step])
            source, target = sample_windows(
                normalized,
                config.source_length,
                config.target_length,
                config.batch_size,
                rng,
                allowed,
            )
            losses = trainer.train_on_batch(source, target)
            loss = float(losses["loss"])
            if not math.isfinite(loss):
                raise TrainingDivergedError(
                    f"The training loss became {loss} at step {step}.",
                    "a finite loss",
                    "Lower --learning-rate or --clip-norm; the last checkpoint is intact.",
                )
            if step % config.checkpoint_every == 0 or step == config.steps:
                poses, _ = model_lib.predict_poses_and_states(model, evaluation[0])
                model_mse = float(np.mean((poses - evaluation[1]) ** 2))
                last_ratio = model_mse / max(zero_velocity_mse, 1e-12)
                last_monitor = float(monitor(model, normalized)) if monitor is not None else None
                history["step"].append(step)
                history["loss"].append(loss)
                history["mse"].append(float(losses.get("mse", loss)))
                history["forecast_mse"].append(model_mse)
                history["zero_velocity_mse"].append(zero_velocity_mse)
                history["forecast_ratio"].append(last_ratio)
                history["monitor"].append(last_monitor)
                if last_monitor is not None and (best[0] is None or last_monitor > best[0]):
                    best = (last_monitor, step)
                    if config.keep_best:
                        with atomic_path(run / BEST_WEIGHTS_FILE) as temporary:
                            model.save_weights(temporary)
                _write_checkpoint(run, trainer, step, history)
                say(
                    f"step {step}: loss {loss:.4f}, forecast/zero-velocity {last_ratio:.3f}"
                    + (f", monitor {last_monitor:.3f}" if last_monitor is not None else "")
                )
            if progress is not None:
                progress(
                    StepReport(
                        step,
                        config.steps,
                        loss,
                        last_monitor,
                        last_ratio,
                        time.monotonic() - started,
                    )
                )
    except KeyboardInterrupt:
        done = _checkpoint_step(run)
        raise TrainingInterruptedError(
            f"Training interrupted at step {step}; the checkpoint of step {done} is intact.",
            fix=f"Continue with `mocap train --resume {run}`.",
        ) from None
    with atomic_path(run / WEIGHTS_FILE) as temporary:
        model.save_weights(temporary)
    with atomic_path(run / MODEL_FILE) as temporary:
        model.save(temporary)
    return TrainResult(
        run_dir=run,
        steps=config.steps,
        final_loss=loss
        if math.isfinite(loss)
        else (history["loss"][-1] if history["loss"] else loss),
        seconds=time.monotonic() - started,
        history=history,
        best_step=best[1],
        best_monitor=best[0],
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


def _empty_history() -> dict[str, list[float]]:
    keys = ("step", "loss", "mse", "forecast_mse", "zero_velocity_mse", "forecast_ratio", "monitor")
    return {key: [] for key in keys}


def _make_trainer(model: Any, config: TrainConfig) -> Any:
    from mocap_seq2seq.model import trainers

    if config.model_type == "seq2seq":
        return trainers.make_trainer(
            model,
            learning_rate=config.learning_rate,
            clip_norm=config.clip_norm,
            slowness=config.slowness,
        )
    # AGED trains with its own objective; a slowness term is not part of it.
    from mocap_seq2seq.model import aged

    return aged.make_aged_trainer(
        model,
        mode=config.model_type.removeprefix("aged-"),
        learning_rate=config.learning_rate,
        clip_norm=config.clip_norm,
    )


def _prepare_new_run(run: Path, overwrite: bool) -> None:
    if run.exists() and any(run.iterdir()):
        if not overwrite:
            raise OutputExistsError(
                f"Run folder '{run}' already exists and is not empty.",
                "a new folder",
                "Pass --resume to continue it, --overwrite to restart it, or another --output.",
            )
        for name in (CHECKPOINT_FILE, HISTORY_FILE, WEIGHTS_FILE, MODEL_FILE, BEST_WEIGHTS_FILE):
            (run / name).unlink(missing_ok=True)
        for old in run.glob("checkpoint-*.state.h5"):
            old.unlink()
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


def _first_line(error: BaseException) -> str:
    # Keras loading errors run over many lines; the error boundary prints one.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__).rstrip(":.")


def _checkpoint_step(run: Path) -> int:
    try:
        return int(json.loads((run / CHECKPOINT_FILE).read_text())["step"])
    except (OSError, ValueError, KeyError):
        return 0


def _write_checkpoint(run: Path, trainer: Any, step: int, history: dict[str, list[float]]) -> None:
    name = f"checkpoint-{step}.state.h5"
    with atomic_path(run / name) as temporary:
        trainer.save_state(temporary)
        # Test hook: hold the process here, the state written but not yet renamed.
        pause_for_tests("MOCAP_TEST_PAUSE_IN_CHECKPOINT")
    write_json(run / HISTORY_FILE, history)
    # The pointer moves only once the state it names is complete.
    write_json(run / CHECKPOINT_FILE, {"step": step, "file": name})
    for old in run.glob("checkpoint-*.state.h5"):
        if old.name != name:
            old.unlink(missing_ok=True)


def _load_resume(
    run: Path, requested: TrainConfig, digest: str
) -> tuple[TrainConfig, Normalization, int, dict[str, list[float]]]:
    if not (run / CHECKPOINT_FILE).is_file():
        raise ModelFileError(
            f"'{run}' has no checkpoint to resume from.",
            "a run folder written by `mocap train`",
            "Start a new run without --resume.",
        )
    try:
        stored = json.loads((run / CONFIG_FILE).read_text())
        config = TrainConfig(**stored["train"]).replace(steps=max(requested.steps, 1))
        normalization = Normalization.from_dict(json.loads((run / NORMALIZATION_FILE).read_text()))
        pointer = json.loads((run / CHECKPOINT_FILE).read_text())
        history = json.loads((run / HISTORY_FILE).read_text())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(
            f"The run folder '{run}' is incomplete or damaged ({error}).",
            "config.json, normalization.json, checkpoint.json and history.json",
            "Start a new run.",
        ) from error
    if stored.get("frames_sha256") != digest:
        raise ModelFileError(
            f"The run '{run}' was trained on other frames than the ones given now.",
            "the same data as the original run",
            "Resume with the run's own data, or start a new run.",
        )
    step = int(pointer["step"])
    # Forget history rows written after the checkpoint (none, as history is written with it).
    keep = [i for i, s in enumerate(history.get("step", [])) if s <= step]
    history = {key: [values[i] for i in keep if i < len(values)] for key, values in history.items()}
    for key, values in _empty_history().items():
        history.setdefault(key, values)
    if config.steps <= step:
        config = config.replace(steps=step)
    if stored["train"].get("steps") != config.steps:
        # A resume may extend the run: config.json says what it now trains to.
        write_json(run / CONFIG_FILE, {**stored, "train": dataclasses.asdict(config)})
    remove_stale_temporaries(run)
    return config, normalization, step, history


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
    try:
        stored = json.loads((run / CONFIG_FILE).read_text())
        normalization = Normalization.from_dict(json.loads((run / NORMALIZATION_FILE).read_text()))
    except (OSError, ValueError, KeyError) as error:
        raise ModelFileError(
            f"'{run}' is not a complete run folder ({error}).",
            "a folder written by `mocap train` (config.json, normalization.json, weights)",
            "Pass a finished run folder or a pretrained model.",
        ) from error
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
    if not isinstance(stored.get("model"), dict):
        raise ModelFileError(
            f"The config.json of '{run}' has no model section.",
            "a config.json written by `mocap train`",
            "Train the run again.",
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
