"""Small callbacks of the training loop, in the spirit of ``keras.callbacks``.

:func:`mocap_seq2seq.model.training.train` is a short loop: sample a batch,
take one optimiser step, and let its callbacks act. At every checkpoint step
the callbacks run in order, each reading and adding to one shared
:class:`TrainingState`:

1. :class:`ForecastScore` - the forecast error against repeating the last pose,
2. :class:`MonitorScore` - the label-free monitor (when the caller gave one),
3. :class:`History` - one row of history.json,
4. :class:`KeepBest` - the best monitor so far, and its weights if asked,
5. :class:`Checkpoint` - the trainer's state, history.json, checkpoint.json,
6. :class:`LogLine` - one line for the user.

After every step :class:`Progress` calls the caller's progress function.
Keras' own ``Callback`` is built for ``model.fit``; the trainers here step with
``train_on_batch`` (AGED needs several models per step), so the loop keeps its
own five hooks and a state object instead of ``logs`` dicts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import atomic_path
from mocap_seq2seq.model.run_folder import BEST_WEIGHTS_FILE, empty_history, write_checkpoint


@dataclass(frozen=True)
class StepReport:
    """What the progress callback receives after each step."""

    step: int
    total_steps: int
    loss: float
    monitor: float | None
    forecast_ratio: float | None
    seconds: float


@dataclass
class TrainingState:
    """What the loop and its callbacks share during one call of ``train``."""

    run: Path
    config: Any
    model: Any
    trainer: Any
    normalized: np.ndarray
    history: dict[str, list[Any]] = field(default_factory=empty_history)
    step: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    forecast_mse: float | None = None
    zero_velocity_mse: float | None = None
    forecast_ratio: float | None = None
    monitor: float | None = None
    best_monitor: float | None = None
    best_step: int | None = None

    @property
    def loss(self) -> float:
        return float(self.losses.get("loss", math.nan))

    def resume_from(self, history: dict[str, list[Any]]) -> None:
        """Take the history of a resumed run: last scores and the best monitor so far."""
        self.history = history
        if history["forecast_ratio"]:
            self.forecast_ratio = history["forecast_ratio"][-1]
        # "monitor" has one entry per checkpoint (None where no monitor ran), so
        # it stays aligned with "step" whatever a resumed run passes.
        scored = [(m, s) for m, s in zip(history["monitor"], history["step"]) if m is not None]
        if scored:
            self.monitor = scored[-1][0]
            self.best_monitor, self.best_step = max(scored)


class Callback:
    """Hooks of the training loop; each does nothing unless overridden."""

    def on_train_begin(self, state: TrainingState) -> None:
        """Called once, before the first step of this call (new or resumed)."""

    def on_checkpoint(self, state: TrainingState) -> None:
        """Called after the step of every checkpoint (and after the last step)."""

    def on_step_end(self, state: TrainingState) -> None:
        """Called after every step, once the checkpoint callbacks have run."""


class ForecastScore(Callback):
    """Forecast MSE on a fixed batch against the zero-velocity baseline (last pose repeated)."""

    def __init__(self, source: np.ndarray, target: np.ndarray) -> None:
        self.source, self.target = source, target
        self.zero_velocity_mse = float(np.mean((target - source[:, -1:, :]) ** 2))

    def on_checkpoint(self, state: TrainingState) -> None:
        from mocap_seq2seq.model.seq2seq import predict_poses_and_states

        poses, _ = predict_poses_and_states(state.model, self.source)
        state.forecast_mse = float(np.mean((poses - self.target) ** 2))
        state.zero_velocity_mse = self.zero_velocity_mse
        state.forecast_ratio = state.forecast_mse / max(self.zero_velocity_mse, 1e-12)


class MonitorScore(Callback):
    """The caller's label-free ``monitor(model, normalized_frames) -> float``, or None."""

    def __init__(self, monitor: Callable[[Any, np.ndarray], float] | None) -> None:
        self.monitor = monitor

    def on_checkpoint(self, state: TrainingState) -> None:
        if self.monitor is None:
            state.monitor = None
        else:
            state.monitor = float(self.monitor(state.model, state.normalized))


class History(Callback):
    """Appends one row per checkpoint to ``state.history`` (written by :class:`Checkpoint`)."""

    def on_checkpoint(self, state: TrainingState) -> None:
        row = {
            "step": state.step,
            "loss": state.loss,
            "mse": float(state.losses.get("mse", state.loss)),
            "forecast_mse": state.forecast_mse,
            "zero_velocity_mse": state.zero_velocity_mse,
            "forecast_ratio": state.forecast_ratio,
            "monitor": state.monitor,
        }
        for key, value in row.items():
            state.history[key].append(value)


class KeepBest(Callback):
    """Tracks the best monitor score; with ``save``, keeps its weights in best.weights.h5."""

    def __init__(self, save: bool) -> None:
        self.save = save

    def on_checkpoint(self, state: TrainingState) -> None:
        if state.monitor is None:
            return
        if state.best_monitor is None or state.monitor > state.best_monitor:
            state.best_monitor, state.best_step = state.monitor, state.step
            if self.save:
                with atomic_path(state.run / BEST_WEIGHTS_FILE) as temporary:
                    state.model.save_weights(temporary)


class Checkpoint(Callback):
    """Writes the trainer's state, then history.json, then checkpoint.json pointing at it."""

    def on_checkpoint(self, state: TrainingState) -> None:
        write_checkpoint(state.run, state.trainer, state.step, state.history)


class LogLine(Callback):
    """One line per checkpoint for the user: loss, forecast ratio, monitor."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log

    def on_checkpoint(self, state: TrainingState) -> None:
        self.log(
            f"step {state.step}: loss {state.loss:.4f}, "
            f"forecast/zero-velocity {state.forecast_ratio:.3f}"
            + (f", monitor {state.monitor:.3f}" if state.monitor is not None else "")
        )


class Progress(Callback):
    """Calls ``progress(StepReport)`` after every step."""

    def __init__(self, progress: Callable[[StepReport], None]) -> None:
        self.progress = progress

    def on_step_end(self, state: TrainingState) -> None:
        self.progress(
            StepReport(
                state.step,
                state.config.steps,
                state.loss,
                state.monitor,
                state.forecast_ratio,
                time.monotonic() - state.started,
            )
        )
