"""AGED: the seq2seq predictor trained with two GRU discriminators (optional variant).

AGED is the adversarial geometry-aware encoder-decoder of Gui et al., "Adversarial
Geometry-Aware Human Motion Prediction", ECCV 2018. Su & Shlizerman (2020, arXiv
1905.12176) use it for the subject-86 results; their code
(github.com/shlizee/interpretseq2seq, ``src/AGED.py``) defines:

* a *fidelity* discriminator ``D_f``: a GRU (as many units as the predictor)
  over a sequence of poses, then a dense layer to one logit; it judges the
  real target frames against the predicted frames;
* a *continuity* discriminator ``D_c``, the same architecture, judging
  ``[source, real target]`` against ``[source, prediction]`` joined in time;
* ``f_loss = BCE(D_f(real), 1) + BCE(D_f(fake), 0)`` and the same ``c_loss``
  for ``D_c`` (sigmoid cross-entropy on logits, averaged over the batch);
* ``loss = 0.6 * (mse + f_loss) + c_loss``, minimised by ONE Adam (global clip
  norm 1) over all variables, predictor and discriminators together.

Two training modes are offered, both in :data:`TRAINERS`:

``"paper-joint"``
    Exactly the paper code's objective and single optimiser (weights
    configurable: ``mse_weight * mse + fidelity_weight * f_loss +
    continuity_weight * c_loss``). Note what it does: the predictor
    minimises the discriminators' own classification loss, so it is pushed to
    make its predictions *easier* to tell from real motion, not harder; it is
    not a min-max game. It is kept because it is what the published results
    used.
``"adversarial"``
    A true alternating GAN update, a different algorithm: first a
    discriminator step (Adam over ``D_f`` and ``D_c`` only) on ``f_loss +
    c_loss`` with the predictor frozen; then a predictor step (its own Adam)
    on ``mse_weight * mse + fidelity_weight * BCE(D_f(fake), 1) +
    continuity_weight * BCE(D_c([source, fake]), 1)`` (the non-saturating
    generator loss) with the discriminators frozen.

Backend neutrality: every update is ``train_on_batch`` of a compiled functional
model, so no backend-specific ``train_step`` is needed. In adversarial mode the
two compiled models share layers; the ``trainable`` flags are set right before
each step, because jax and torch read them at every step while tensorflow reads
them once, when it traces the step: setting them before every step gives the
same behaviour on all three.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.model.seq2seq import POSES_NAME, model_config
from mocap_seq2seq.model.trainers import (
    Trainer,
    load_variables,
    make_optimizer,
    make_trainer,
    save_variables,
)

#: Training modes of :func:`make_aged_trainer`.
AGED_MODES = ("paper-joint", "adversarial")

FIDELITY_NAME = "fidelity_discriminator"
CONTINUITY_NAME = "continuity_discriminator"


def build_discriminator(n_channels: int, hidden_size: int, name: str) -> keras.Model:
    """Build a GRU discriminator: a pose sequence of any length -> one real/fake logit.

    Args:
        n_channels: pose channels per frame.
        hidden_size: GRU units (the paper uses the predictor's size).
        name: model name.

    Example:
    >>> discriminator = build_discriminator(3, 4, "critic")
    >>> tuple(discriminator(np.zeros((2, 7, 3), dtype="float32")).shape)
    (2, 1)
    """
    frames = keras.Input((None, n_channels), name=f"{name}_frames")
    h = keras.layers.GRU(hidden_size, name=f"{name}_gru")(frames)
    logit = keras.layers.Dense(1, name=f"{name}_logit")(h)
    return keras.Model(frames, logit, name=name)


def _bce_with_logits(logits: Any, label: float) -> Any:
    # Per-sample sigmoid cross-entropy on logits, (batch, 1) -> (batch,);
    # softplus(x) - y x is the numerically stable form for a label y in {0, 1}.
    return ops.squeeze(ops.softplus(logits) - label * logits, axis=-1)


def _per_sample_mse(target: Any, poses: Any) -> Any:
    return ops.mean(ops.square(target - poses), axis=(1, 2))


class _Component(keras.losses.Loss):
    """The model's output is already a per-sample loss: pass it through (mean over the batch)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return y_pred


class AgedTrainer:
    """Seq2seq predictor plus fidelity and continuity discriminators (see the module doc).

    Args:
        model: a model made by :func:`mocap_seq2seq.model.seq2seq.build_seq2seq`.
        mode: ``"paper-joint"`` (default) or ``"adversarial"``.
        learning_rate: Adam learning rate. Default 1e-3.
        clip_norm: global gradient clip norm. Default 1.0.
        mse_weight: weight of the pose MSE. Default 0.6 (paper).
        fidelity_weight: weight of the fidelity loss. Default 0.6 (paper).
        continuity_weight: weight of the continuity loss. Default 1.0 (paper).
        discriminator_hidden_size: GRU units of each discriminator; None
            (default) uses the predictor's hidden size, as the paper.

    Example:
    >>> from mocap_seq2seq.model.seq2seq import build_seq2seq
    >>> model = build_seq2seq(3, hidden_size=4, source_length=5, target_length=2)
    >>> trainer = make_aged_trainer(model, mode="paper-joint")
    >>> sorted(trainer.train_on_batch(np.zeros((2, 5, 3)), np.zeros((2, 2, 3))))
    ['continuity', 'fidelity', 'loss', 'mse']
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        mode: str = "paper-joint",
        learning_rate: float = 1e-3,
        clip_norm: float = 1.0,
        mse_weight: float = 0.6,
        fidelity_weight: float = 0.6,
        continuity_weight: float = 1.0,
        discriminator_hidden_size: int | None = None,
    ):
        if mode not in AGED_MODES:
            raise UsageError(
                f"Unknown AGED training mode {mode!r}.",
                f"one of {', '.join(AGED_MODES)}",
                "Pass a valid mode.",
            )
        weights = {"mse": mse_weight, "fidelity": fidelity_weight, "continuity": continuity_weight}
        for key, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise UsageError(
                    f"The AGED '{key}_weight' must be a non-negative number. Got {value!r}.",
                    fix=f"Pass a number >= 0 as {key}_weight.",
                )
        config = model_config(model)
        hidden = discriminator_hidden_size or config["hidden_size"]
        self.mode = mode
        self.kind = f"aged-{mode}"
        self.weights = {key: float(value) for key, value in weights.items()}
        self.model = model
        self.fidelity_discriminator = build_discriminator(
            config["n_channels"], hidden, FIDELITY_NAME
        )
        self.continuity_discriminator = build_discriminator(
            config["n_channels"], hidden, CONTINUITY_NAME
        )
        source = keras.Input((config["source_length"], config["n_channels"]), name="source")
        target = keras.Input((config["target_length"], config["n_channels"]), name="target")
        poses = model(source)[POSES_NAME]
        real = self._discriminator_losses(source, target, poses)
        if mode == "paper-joint":
            outputs = {"mse": _per_sample_mse(target, poses), **real}
            self.joint_model = self._compile(
                keras.Model([source, target], outputs, name="aged_joint"),
                learning_rate,
                clip_norm,
                self.weights,
            )
        else:
            self.discriminator_model = self._compile(
                keras.Model([source, target], real, name="aged_discriminators"),
                learning_rate,
                clip_norm,
                {"fidelity": 1.0, "continuity": 1.0},
            )
            fooled = {
                "mse": _per_sample_mse(target, poses),
                "fidelity": _bce_with_logits(self.fidelity_discriminator(poses), 1.0),
                "continuity": _bce_with_logits(
                    self.continuity_discriminator(ops.concatenate([source, poses], axis=1)), 1.0
                ),
            }
            self.predictor_model = self._compile(
                keras.Model([source, target], fooled, name="aged_predictor"),
                learning_rate,
                clip_norm,
                self.weights,
            )

    def _discriminator_losses(self, source: Any, target: Any, poses: Any) -> dict[str, Any]:
        # The paper's f_loss and c_loss: real labelled 1, predicted labelled 0.
        fidelity = _bce_with_logits(self.fidelity_discriminator(target), 1.0) + _bce_with_logits(
            self.fidelity_discriminator(poses), 0.0
        )
        continuity = _bce_with_logits(
            self.continuity_discriminator(ops.concatenate([source, target], axis=1)), 1.0
        ) + _bce_with_logits(
            self.continuity_discriminator(ops.concatenate([source, poses], axis=1)), 0.0
        )
        return {"fidelity": fidelity, "continuity": continuity}

    @staticmethod
    def _compile(
        training_model: keras.Model,
        learning_rate: float,
        clip_norm: float,
        weights: dict[str, float],
    ) -> keras.Model:
        names = list(weights)
        training_model.compile(
            optimizer=make_optimizer(learning_rate, clip_norm),
            loss={name: _Component(name=name) for name in names},
            loss_weights=weights,
        )
        return training_model

    def _set_trainable(self, predictor: bool, discriminators: bool) -> None:
        self.model.trainable = predictor
        self.fidelity_discriminator.trainable = discriminators
        self.continuity_discriminator.trainable = discriminators

    @staticmethod
    def _step(training_model: keras.Model, source: np.ndarray, target: np.ndarray) -> dict:
        batch = source.shape[0]
        dummy = {name: np.zeros((batch,), dtype="float32") for name in training_model.output}
        logs = training_model.train_on_batch([source, target], dummy, return_dict=True)
        return {name: float(value) for name, value in logs.items()}

    def discriminator_step(self, source: np.ndarray, target: np.ndarray) -> dict[str, float]:
        """Adversarial mode: one Adam step of both discriminators, the predictor frozen."""
        self._require_adversarial()
        self._set_trainable(predictor=False, discriminators=True)
        try:
            return self._step(self.discriminator_model, *_as_float32(source, target))
        finally:
            self._set_trainable(predictor=True, discriminators=True)

    def predictor_step(self, source: np.ndarray, target: np.ndarray) -> dict[str, float]:
        """Adversarial mode: one Adam step of the predictor, the discriminators frozen."""
        self._require_adversarial()
        self._set_trainable(predictor=True, discriminators=False)
        try:
            return self._step(self.predictor_model, *_as_float32(source, target))
        finally:
            self._set_trainable(predictor=True, discriminators=True)

    def _require_adversarial(self) -> None:
        if self.mode != "adversarial":
            raise UsageError(
                f"Separate discriminator and predictor steps exist only in adversarial mode; "
                f"this trainer's mode is {self.mode!r}.",
                fix="Use train_on_batch, or make the trainer with mode='adversarial'.",
            )

    def train_on_batch(self, source: np.ndarray, target: np.ndarray) -> dict[str, float]:
        """Run one update and return its float losses.

        Paper-joint: "loss" (the weighted total), "mse", "fidelity" (f_loss)
        and "continuity" (c_loss). Adversarial: the predictor step's "loss",
        "mse", "fidelity" and "continuity" (its non-saturating terms
        ``BCE(D(fake), 1)``), plus "discriminator_loss" (f_loss + c_loss of
        the discriminator step, computed before that step's update).
        """
        if self.mode == "paper-joint":
            self._set_trainable(predictor=True, discriminators=True)
            logs = self._step(self.joint_model, *_as_float32(source, target))
            return _component_logs(logs)
        discriminator = _component_logs(self.discriminator_step(source, target))
        predictor = _component_logs(self.predictor_step(source, target))
        predictor["discriminator_loss"] = discriminator["loss"]
        return predictor

    def _optimized(self) -> list[tuple[keras.Model, dict[str, bool]]]:
        if self.mode == "paper-joint":
            return [(self.joint_model, {"predictor": True, "discriminators": True})]
        return [
            (self.discriminator_model, {"predictor": False, "discriminators": True}),
            (self.predictor_model, {"predictor": True, "discriminators": False}),
        ]

    def _state_variables(self) -> list[Any]:
        variables = (
            list(self.model.weights)
            + list(self.fidelity_discriminator.weights)
            + list(self.continuity_discriminator.weights)
        )
        for training_model, flags in self._optimized():
            optimizer = training_model.optimizer
            if not optimizer.built:
                # Build with the same variable list the step would use.
                self._set_trainable(**flags)
                try:
                    optimizer.build(training_model.trainable_variables)
                finally:
                    self._set_trainable(predictor=True, discriminators=True)
            variables += list(optimizer.variables)
        return variables

    def save_state(self, path: Path) -> None:
        """Write predictor, discriminators and optimiser state(s) into one HDF5 file."""
        save_variables(Path(path), self._state_variables(), self.kind)

    def load_state(self, path: Path) -> None:
        """Restore what :meth:`save_state` wrote."""
        load_variables(Path(path), self._state_variables(), self.kind)


def _as_float32(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(source, dtype="float32"), np.asarray(target, dtype="float32")


def _component_logs(logs: dict[str, float]) -> dict[str, float]:
    # Keras reports each output's (unweighted) loss as "<name>_loss".
    result = {"loss": logs["loss"]}
    for name in ("mse", "fidelity", "continuity"):
        if f"{name}_loss" in logs:
            result[name] = logs[f"{name}_loss"]
    return result


#: The registry's factory of AGED trainers: the class itself (``mode=...`` and the
#: weights as keywords; see the module doc for the two modes).
make_aged_trainer: Callable[..., Trainer] = AgedTrainer


#: Training methods by name: each is called as ``TRAINERS[name](model,
#: learning_rate=..., clip_norm=...)`` and returns a :class:`~mocap_seq2seq.model.seq2seq.Trainer`.
TRAINERS: dict[str, Callable[..., Trainer]] = {
    "seq2seq": make_trainer,
    "aged-paper-joint": functools.partial(make_aged_trainer, mode="paper-joint"),
    "aged-adversarial": functools.partial(make_aged_trainer, mode="adversarial"),
}
