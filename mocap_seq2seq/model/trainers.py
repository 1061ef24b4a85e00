"""Trainers of the seq2seq predictor: one optimiser step at a time, with an exact save/resume.

A trainer is what :func:`mocap_seq2seq.model.training.train` drives (the
:class:`Trainer` protocol): ``train_on_batch``, ``save_state`` and
``load_state``. :class:`Seq2SeqTrainer` is next-pose MSE (plus an optional
slowness term on the decoder states); the AGED trainers of
:mod:`mocap_seq2seq.model.aged` follow the same protocol and reuse the
optimiser and the state files defined here. Which trainer a ``model_type``
builds is the registry :data:`mocap_seq2seq.model.training.MODEL_TYPES`, which names
its entry of :data:`mocap_seq2seq.model.aged.TRAINERS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import h5py
import keras
import numpy as np
from keras import ops

from mocap_seq2seq.errors import ModelFileError, UsageError
from mocap_seq2seq.model.seq2seq import (
    POSES_NAME,
    STATES_NAME,
    check_is_seq2seq,
    one_line_error,
    poses_model,
)


class Trainer(Protocol):
    """What the training loop needs: one step at a time, and an exact save/resume."""

    model: keras.Model

    def train_on_batch(self, source: np.ndarray, target: np.ndarray) -> dict[str, float]:
        """Run one optimiser step; return float losses, including "loss" and "mse"."""
        ...

    def save_state(self, path: Path) -> None:
        """Write every weight and optimiser state into one file at ``path``."""
        ...

    def load_state(self, path: Path) -> None:
        """Restore what :meth:`save_state` wrote, exactly."""
        ...


def make_optimizer(learning_rate: float, clip_norm: float) -> keras.optimizers.Optimizer:
    """Adam whose gradients are clipped to a global norm, as ``tf.clip_by_global_norm``."""
    if not learning_rate > 0 or not clip_norm > 0:
        raise UsageError(
            f"The learning rate and clip norm must be positive. "
            f"Got {learning_rate!r} and {clip_norm!r}.",
            fix="Pass positive values.",
        )
    return keras.optimizers.Adam(learning_rate=learning_rate, global_clipnorm=clip_norm)


def save_variables(path: Path, variables: list[Any], kind: str) -> None:
    """Write ``variables`` (in order) into an HDF5 file at ``path``; the caller makes it atomic."""
    with h5py.File(path, "w") as handle:
        handle.attrs["kind"] = kind
        handle.attrs["n_variables"] = len(variables)
        for index, variable in enumerate(variables):
            handle.create_dataset(f"{index:05d}", data=ops.convert_to_numpy(variable.value))


def load_variables(path: Path, variables: list[Any], kind: str) -> None:
    """Assign the arrays saved by :func:`save_variables` to ``variables``, checking they fit."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(
            f"The training state file '{path}' does not exist.",
            "a state file written by save_state",
            "Check the run folder, or start training afresh.",
        )
    try:
        with h5py.File(path, "r") as handle:
            saved_kind = str(handle.attrs.get("kind", ""))
            arrays = [handle[f"{index:05d}"][()] for index in range(len(handle))]
    except (OSError, KeyError) as error:
        raise ModelFileError(
            f"Cannot read the training state file '{path}': {one_line_error(error)}.",
            "an HDF5 file written by save_state",
            "The file may be truncated; resume from another checkpoint.",
        ) from error
    if saved_kind != kind:
        raise ModelFileError(
            f"The training state in '{path}' is for a '{saved_kind}' trainer, not '{kind}'.",
            f"a state saved by a '{kind}' trainer",
            "Resume with the same training method.",
        )
    shapes = [tuple(variable.shape) for variable in variables]
    saved_shapes = [array.shape for array in arrays]
    if shapes != saved_shapes:
        raise ModelFileError(
            f"The training state in '{path}' holds {len(arrays)} arrays that do not fit the "
            f"{len(variables)} variables of this trainer.",
            "a state saved with the same model configuration",
            "Resume with the run's saved config.",
        )
    for variable, array in zip(variables, arrays):
        variable.assign(array)


def slowness_loss(y_true: Any, states: Any) -> Any:
    """How fast the decoder states move within a window, relative to how much they vary.

    ``mean |s[t+1] - s[t]|^2`` per window, divided by the mean variance of the
    state units over the batch: scale-free, and zero only for states that do
    not change along a window. The denominator keeps the states from
    collapsing to a constant to satisfy it. An auxiliary objective (slow
    feature analysis): actions change slowly and the phase within a gait
    cycle fast, so slow states should carry more of the action. ``y_true`` is
    ignored (Keras passes one).

    Example:
    >>> steady = np.repeat(np.arange(4.0).reshape(4, 1, 1), 3, axis=1)  # 4 windows x 3 steps
    >>> float(keras.ops.max(slowness_loss(None, steady)))
    0.0
    """
    ops = keras.ops
    step = ops.mean(ops.square(states[:, 1:] - states[:, :-1]), axis=(1, 2))
    spread = ops.mean(ops.var(states, axis=(0, 1)))
    return step / (spread + 1e-6)


class Seq2SeqTrainer:
    """MSE training of the seq2seq predictor, with Adam and global clip norm.

    With ``slowness > 0`` the loss adds ``slowness`` times :func:`slowness_loss`
    of the decoder states (an experiment of ``bench/embedding_lift.py``).

    Args:
        model: a model made by :func:`build_seq2seq`.
        learning_rate: Adam learning rate. Default 1e-3.
        clip_norm: gradients are clipped to this global norm. Default 1.0.
        slowness: weight of the slowness term. Default 0 (plain MSE).

    Example:
    >>> from mocap_seq2seq.model.seq2seq import build_seq2seq
    >>> trainer = make_trainer(build_seq2seq(3, hidden_size=4, source_length=5, target_length=2))
    >>> sorted(trainer.train_on_batch(np.zeros((2, 5, 3)), np.zeros((2, 2, 3))))
    ['loss', 'mse']
    """

    kind = "seq2seq"

    def __init__(
        self,
        model: keras.Model,
        *,
        learning_rate: float = 1e-3,
        clip_norm: float = 1.0,
        slowness: float = 0.0,
    ):
        self.model = model
        self.slowness = float(slowness)
        self.optimizer = make_optimizer(learning_rate, clip_norm)
        if self.slowness > 0:
            check_is_seq2seq(model)
            self._n_states = int(model.get_layer(STATES_NAME).output.shape[-1])
            self.training_model = keras.Model(
                model.input,
                [model.get_layer(POSES_NAME).output, model.get_layer(STATES_NAME).output],
                name=f"{model.name}_slow",
            )
            self.training_model.compile(
                optimizer=self.optimizer,
                loss=["mse", slowness_loss],
                loss_weights=[1.0, self.slowness],
            )
        else:
            self.training_model = poses_model(model)
            self.training_model.compile(optimizer=self.optimizer, loss="mse")

    def train_on_batch(self, source: np.ndarray, target: np.ndarray) -> dict[str, float]:
        source = np.asarray(source, dtype="float32")
        target = np.asarray(target, dtype="float32")
        if self.slowness <= 0:
            logs = self.training_model.train_on_batch(source, target, return_dict=True)
            loss = float(logs["loss"])
            return {"loss": loss, "mse": loss}
        # The slowness term ignores its target: zeros of the states' shape.
        unused = np.zeros((*target.shape[:2], self._n_states), dtype="float32")
        logs = self.training_model.train_on_batch(source, [target, unused], return_dict=True)
        return {
            "loss": float(logs["loss"]),
            "mse": float(logs[f"{POSES_NAME}_loss"]),
            "slowness": float(logs[f"{STATES_NAME}_loss"]),
        }

    def _state_variables(self) -> list[Any]:
        if not self.optimizer.built:
            self.optimizer.build(self.training_model.trainable_variables)
        return list(self.training_model.weights) + list(self.optimizer.variables)

    def save_state(self, path: Path) -> None:
        save_variables(Path(path), self._state_variables(), self.kind)

    def load_state(self, path: Path) -> None:
        load_variables(Path(path), self._state_variables(), self.kind)


def make_trainer(
    model: keras.Model,
    *,
    learning_rate: float = 1e-3,
    clip_norm: float = 1.0,
    slowness: float = 0.0,
) -> Trainer:
    """Return a :class:`Seq2SeqTrainer`: MSE on normalised poses, Adam with global clip norm.

    Args:
        model: a model made by :func:`build_seq2seq`.
        learning_rate: Adam learning rate. Default 1e-3.
        clip_norm: global gradient norm clip. Default 1.0.
        slowness: weight of :func:`slowness_loss` on the decoder states. Default 0.
    """
    return Seq2SeqTrainer(
        model, learning_rate=learning_rate, clip_norm=clip_norm, slowness=slowness
    )
