"""The seq2seq GRU that predicts the next poses, and whose decoder states are the embedding.

Architecture (Martinez et al. 2017, "On human motion prediction using recurrent
neural networks", as used by Su & Shlizerman 2020, arXiv 1905.12176):

* the encoder GRU reads ``source[:, :-1]`` from a zero state;
* the decoder GRU starts from the encoder's final state; its first input is the
  last source frame ``source[:, -1]`` and every later input is its own previous
  prediction (no teacher forcing, at training as at test time);
* a linear projection maps each decoder state ``h_t`` to a pose. With
  ``residual=True`` (Martinez et al.'s residual connection) the projection
  predicts the change from the decoder's input, ``pose_t = input_t + W h_t + b``;
  with ``residual=False`` it predicts the pose itself, ``pose_t = W h_t + b``,
  which is what the paper's own code does (``LinearSpaceDecoderWrapper`` only);
* ``tied=True`` (the paper's default) runs encoder and decoder with the *same*
  GRU cell, i.e. the same variables; ``tied=False`` gives the decoder its own.

The heart is :class:`PoseDecoderCell`, one decoder step whose state is
``[h, previous_pose]`` and whose output is ``concat(pose, h)``;
:class:`Seq2SeqGRU` wraps the encoder and this cell (both in
``keras.layers.RNN``) in one layer, so that the tied cell is one object inside
one layer's config and stays tied after ``.keras`` save and load. The model
built by :func:`build_seq2seq` has one input ``"source"`` and a dict output
``{"poses": (batch, target_length, n_channels), "decoder_states": (batch,
target_length, hidden_size)}``: one forward pass gives both the predictions
(for the loss) and the states (for the embedding).

Everything is written in ``keras.ops`` and runs under
``KERAS_BACKEND=tensorflow``, ``jax`` and ``torch``; files saved under one
backend load under the others (:func:`load_seq2seq` uses ``compile=False``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import h5py
import keras
import numpy as np
from keras import ops

from mocap_seq2seq.errors import ModelFileError, UsageError
from mocap_seq2seq.model.distribution import pad_to_multiple

#: Package name under which every custom object is registered.
PACKAGE = "mocap_seq2seq"

#: Names of the model's layers and outputs; fetch layers with these, never by index.
SOURCE_NAME = "source"
CORE_NAME = "encoder_decoder"
POSES_NAME = "poses"
STATES_NAME = "decoder_states"

#: Keys of :func:`model_config`, the plain-JSON description of a model.
CONFIG_KEYS = ("n_channels", "hidden_size", "source_length", "target_length", "tied", "residual")


def _check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UsageError(
            f"The '{name}' of the seq2seq model must be an integer of at least {minimum}. "
            f"Got {value!r}.",
            fix=f"Pass an integer '{name}' >= {minimum}.",
        )
    return int(value)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PoseDecoderCell(keras.layers.Layer):
    """One decoder step: update the GRU state from the previous pose, then project a pose.

    The cell is fed its own previous prediction, so it needs no input: its
    state is ``[h, previous_pose]`` and the step input (a dummy time axis in
    ``keras.layers.RNN``) is ignored. Its output is ``concat(pose, h)`` of size
    ``n_channels + hidden_size``: ``keras.layers.RNN`` only accepts an integer
    ``output_size``, so the two parts are joined here and split by
    :class:`Seq2SeqGRU`.

    Args:
        n_channels: number of pose channels.
        hidden_size: number of GRU units.
        residual: if True (default), ``pose_t = pose_{t-1} + W h_t + b``
            (Martinez et al. 2017); if False, ``pose_t = W h_t + b``.
        **kwargs: standard layer keyword arguments (``name``, ``dtype``).

    Example:
    >>> cell = PoseDecoderCell(n_channels=3, hidden_size=4)
    >>> cell.state_size, cell.output_size
    ([4, 3], 7)
    """

    def __init__(self, n_channels: int, hidden_size: int, residual: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.n_channels = _check_positive_int(n_channels, "n_channels")
        self.hidden_size = _check_positive_int(hidden_size, "hidden_size")
        self.residual = bool(residual)
        self.state_size = [self.hidden_size, self.n_channels]
        self.output_size = self.n_channels + self.hidden_size
        self.gru = keras.layers.GRUCell(self.hidden_size, name="gru")
        self.projection = keras.layers.Dense(self.n_channels, name="projection")

    def build(self, input_shape: Any = None) -> None:
        # The step input is a dummy: the GRU's real input is the previous pose.
        if not self.gru.built:
            self.gru.build((None, self.n_channels))
        if not self.projection.built:
            self.projection.build((None, self.hidden_size))
        self.built = True

    def call(self, inputs: Any, states: list[Any], training: bool = False) -> tuple[Any, list[Any]]:
        h_previous, pose_previous = states[0], states[1]
        h, _ = self.gru(pose_previous, [h_previous], training=training)
        pose = self.projection(h)
        if self.residual:
            pose = pose + pose_previous
        return ops.concatenate([pose, h], axis=-1), [h, pose]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            n_channels=self.n_channels, hidden_size=self.hidden_size, residual=self.residual
        )
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Seq2SeqGRU(keras.layers.Layer):
    """Encode a source window with a GRU, then decode poses and decoder states.

    One layer holds the encoder and the decoder so that, with ``tied=True``,
    the single shared GRU cell is rebuilt once from this layer's config and the
    tie survives ``.keras`` save and load (two layers would each rebuild their
    own copy).

    Args:
        n_channels: number of pose channels.
        hidden_size: number of GRU units.
        target_length: number of poses predicted (decoder steps).
        tied: if True (default, as the paper), encoder and decoder use the
            same GRU variables.
        residual: see :class:`PoseDecoderCell`. Default True.
        **kwargs: standard layer keyword arguments.

    Call arguments:
        source: ``(batch, source_length, n_channels)``, ``source_length >= 2``.

    Returns:
        ``(poses, decoder_states)`` of shapes ``(batch, target_length,
        n_channels)`` and ``(batch, target_length, hidden_size)``; the state at
        step ``t`` is the one projected to pose ``t``.

    Example:
    >>> layer = Seq2SeqGRU(n_channels=3, hidden_size=4, target_length=2)
    >>> poses, states = layer(np.zeros((1, 5, 3), dtype="float32"))
    >>> tuple(poses.shape), tuple(states.shape)
    ((1, 2, 3), (1, 2, 4))
    """

    def __init__(
        self,
        n_channels: int,
        hidden_size: int,
        target_length: int,
        tied: bool = True,
        residual: bool = True,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.n_channels = _check_positive_int(n_channels, "n_channels")
        self.hidden_size = _check_positive_int(hidden_size, "hidden_size")
        self.target_length = _check_positive_int(target_length, "target_length")
        self.tied = bool(tied)
        self.residual = bool(residual)
        self.decoder_cell = PoseDecoderCell(
            self.n_channels, self.hidden_size, self.residual, name="decoder_cell"
        )
        encoder_cell = (
            self.decoder_cell.gru
            if self.tied
            else keras.layers.GRUCell(self.hidden_size, name="encoder_gru")
        )
        self.encoder = keras.layers.RNN(encoder_cell, name="encoder")
        self.decoder = keras.layers.RNN(self.decoder_cell, return_sequences=True, name="decoder")

    def build(self, source_shape: Any) -> None:
        self._check_source_shape(source_shape)
        self.decoder_cell.build()
        if not self.encoder.built:
            self.encoder.build((source_shape[0], None, self.n_channels))
        if not self.decoder.built:
            self.decoder.build((source_shape[0], self.target_length, 1))
        self.built = True

    def _check_source_shape(self, source_shape: Any) -> None:
        if len(source_shape) != 3 or source_shape[-1] != self.n_channels:
            raise UsageError(
                f"The source of the seq2seq model must have shape (batch, source_length, "
                f"{self.n_channels}). Got {tuple(source_shape)}.",
                fix="Pass windows made from frames with the model's number of channels.",
            )
        if source_shape[1] is not None and source_shape[1] < 2:
            raise UsageError(
                f"The 'source_length' of the seq2seq model must be at least 2. "
                f"Got {source_shape[1]}.",
                fix="Use a longer source window.",
            )

    def call(self, source: Any, training: bool = False) -> tuple[Any, Any]:
        h = self.encoder(source[:, :-1, :], training=training)
        last_pose = source[:, -1, :]
        # The decoder consumes its own predictions: its per-step input is only
        # a clock of length target_length, a zero tensor built from the batch.
        clock = ops.tile(ops.zeros_like(source[:, -1:, :1]), [1, self.target_length, 1])
        outputs = self.decoder(clock, initial_state=[h, last_pose], training=training)
        return outputs[:, :, : self.n_channels], outputs[:, :, self.n_channels :]

    def compute_output_shape(self, source_shape: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        batch = source_shape[0]
        return (
            (batch, self.target_length, self.n_channels),
            (batch, self.target_length, self.hidden_size),
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            n_channels=self.n_channels,
            hidden_size=self.hidden_size,
            target_length=self.target_length,
            tied=self.tied,
            residual=self.residual,
        )
        return config


def build_seq2seq(
    n_channels: int,
    *,
    hidden_size: int = 256,
    source_length: int = 50,
    target_length: int = 25,
    tied: bool = True,
    residual: bool = True,
    name: str = "seq2seq",
) -> keras.Model:
    """Build the seq2seq pose predictor as a functional model (uncompiled).

    Args:
        n_channels: number of pose channels per frame.
        hidden_size: GRU units. Default 256 (the paper uses 1024).
        source_length: frames in the source window, at least 2. Default 50.
        target_length: frames predicted. Default 25.
        tied: share the GRU between encoder and decoder. Default True.
        residual: predict the change from the previous pose. Default True.
        name: model name. Default ``"seq2seq"``.

    Returns:
        A model with input ``"source"`` ``(batch, source_length, n_channels)``
        and a dict output ``{"poses": (batch, target_length, n_channels),
        "decoder_states": (batch, target_length, hidden_size)}``.

    Example:
    >>> model = build_seq2seq(3, hidden_size=4, source_length=5, target_length=2)
    >>> model.get_layer("poses").output.shape, model.get_layer("decoder_states").output.shape
    ((None, 2, 3), (None, 2, 4))
    """
    n_channels = _check_positive_int(n_channels, "n_channels")
    hidden_size = _check_positive_int(hidden_size, "hidden_size")
    source_length = _check_positive_int(source_length, "source_length", minimum=2)
    target_length = _check_positive_int(target_length, "target_length")
    source = keras.Input((source_length, n_channels), name=SOURCE_NAME)
    poses, states = Seq2SeqGRU(
        n_channels, hidden_size, target_length, tied=tied, residual=residual, name=CORE_NAME
    )(source)
    # Named identities give the outputs stable names to fetch by.
    poses = keras.layers.Identity(name=POSES_NAME)(poses)
    states = keras.layers.Identity(name=STATES_NAME)(states)
    return keras.Model(source, {POSES_NAME: poses, STATES_NAME: states}, name=name)


def poses_model(model: keras.Model) -> keras.Model:
    """Return a single-output view ``source -> poses`` sharing ``model``'s weights.

    Training compiles this view (a dict output would need a loss per key).

    Args:
        model: a model made by :func:`build_seq2seq`.

    Example:
    >>> model = build_seq2seq(3, hidden_size=4, source_length=5, target_length=2)
    >>> poses_model(model).output_shape
    (None, 2, 3)
    """
    _check_is_seq2seq(model)
    return keras.Model(model.input, model.get_layer(POSES_NAME).output, name=f"{model.name}_poses")


def _check_is_seq2seq(model: Any) -> None:
    if not isinstance(model, keras.Model):
        raise UsageError(
            f"Expected a Keras model made by build_seq2seq. Got {type(model).__name__}.",
            fix="Build the model with build_seq2seq or load it with load_seq2seq.",
        )
    names = {layer.name for layer in model.layers}
    missing = {SOURCE_NAME, CORE_NAME, POSES_NAME, STATES_NAME} - names
    if missing:
        raise ModelFileError(
            f"The model '{model.name}' is not a seq2seq model: it lacks the layers "
            f"{sorted(missing)}.",
            f"layers named {SOURCE_NAME!r}, {CORE_NAME!r}, {POSES_NAME!r}, {STATES_NAME!r}",
            "Use a model built by build_seq2seq.",
        )


def model_config(model: keras.Model) -> dict[str, Any]:
    """Return the plain-JSON description from which :func:`build_from_config` rebuilds ``model``.

    Args:
        model: a model made by :func:`build_seq2seq`.

    Example:
    >>> model = build_seq2seq(3, hidden_size=4, source_length=5, target_length=2)
    >>> model_config(model)["hidden_size"], model_config(model)["source_length"]
    (4, 5)
    """
    _check_is_seq2seq(model)
    core = model.get_layer(CORE_NAME)
    return {
        "n_channels": core.n_channels,
        "hidden_size": core.hidden_size,
        "source_length": int(model.get_layer(SOURCE_NAME).output.shape[1]),
        "target_length": core.target_length,
        "tied": core.tied,
        "residual": core.residual,
    }


def build_from_config(config: dict[str, Any]) -> keras.Model:
    """Build a fresh model from a :func:`model_config` dictionary.

    Args:
        config: a dict with exactly the keys of :data:`CONFIG_KEYS`.

    Example:
    >>> config = {"n_channels": 3, "hidden_size": 4, "source_length": 5,
    ...           "target_length": 2, "tied": True, "residual": True}
    >>> model_config(build_from_config(config)) == config
    True
    """
    if not isinstance(config, dict) or set(config) != set(CONFIG_KEYS):
        given = sorted(config) if isinstance(config, dict) else type(config).__name__
        raise ModelFileError(
            f"The model configuration has keys {given}.",
            f"exactly the keys {list(CONFIG_KEYS)}",
            "Use the config.json saved next to the weights, or model_config(model).",
        )
    return build_seq2seq(
        config["n_channels"],
        hidden_size=config["hidden_size"],
        source_length=config["source_length"],
        target_length=config["target_length"],
        tied=config["tied"],
        residual=config["residual"],
    )


def load_seq2seq(path: str | Path) -> keras.Model:
    """Load a seq2seq model saved as ``.keras`` (uncompiled, so any backend reads any file).

    Args:
        path: a ``.keras`` file written by ``model.save``.

    Raises:
        ModelFileError: the file is missing, not a Keras archive, or not a
            seq2seq model.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelFileError(
            f"Cannot load the model file '{path}': its suffix is '{path.suffix}'.",
            "a '.keras' file",
            "For '.weights.h5' files use load_weights with the run's config.json.",
        )
    if not path.is_file():
        raise ModelFileError(
            f"The model file '{path}' does not exist.",
            "a '.keras' file written by training",
            "Check the path or train a model first.",
        )
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a bad archive.
        raise ModelFileError(
            f"Cannot read the model file '{path}': {_one_line(error)}.",
            "a complete '.keras' archive of a seq2seq model",
            "Re-save or re-train the model; the file may be truncated.",
        ) from error
    _check_is_seq2seq(model)
    return model


def load_weights(model: keras.Model, path: str | Path) -> keras.Model:
    """Load ``.weights.h5`` into ``model`` (built from the matching config); return it.

    Args:
        model: a model from :func:`build_from_config`.
        path: a ``.weights.h5`` file written by ``model.save_weights``.

    Raises:
        ModelFileError: the file is missing, unreadable, or saved from a
            model of another configuration (other sizes, tied vs untied).
    """
    path = Path(path)
    _check_is_seq2seq(model)
    if not path.is_file():
        raise ModelFileError(
            f"The weights file '{path}' does not exist.",
            "a '.weights.h5' file written by training",
            "Check the path or train a model first.",
        )
    try:
        model.load_weights(path)
    except Exception as error:
        config = json.dumps(model_config(model), sort_keys=True)
        raise ModelFileError(
            f"The weights in '{path}' do not fit a model with config {config}: {_one_line(error)}.",
            "weights saved from a model with the same config",
            "Build the model from the config.json saved next to these weights.",
        ) from error
    return model


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:300].rstrip(".") or type(error).__name__


def predict_poses_and_states(
    model: keras.Model,
    source: np.ndarray,
    batch_size: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``model`` over source windows in batches; return poses and decoder states.

    Args:
        model: a model made by :func:`build_seq2seq` or :func:`load_seq2seq`.
        source: ``(n_windows, source_length, n_channels)`` windows.
        batch_size: windows per forward pass. Default 256.
        progress: called as ``progress(done, total)`` after each batch.

    Returns:
        ``poses`` ``(n_windows, target_length, n_channels)`` and
        ``states`` ``(n_windows, target_length, hidden_size)``, float32.

    Example:
    >>> model = build_seq2seq(3, hidden_size=4, source_length=5, target_length=2)
    >>> poses, states = predict_poses_and_states(model, np.zeros((3, 5, 3)), batch_size=2)
    >>> poses.shape, states.shape
    ((3, 2, 3), (3, 2, 4))
    """
    _check_is_seq2seq(model)
    config = model_config(model)
    source = np.asarray(source, dtype="float32")
    expected = (config["source_length"], config["n_channels"])
    if source.ndim != 3 or source.shape[1:] != expected:
        raise UsageError(
            f"The source windows must have shape (n_windows, {expected[0]}, {expected[1]}). "
            f"Got {source.shape}.",
            fix="Make windows with the model's source length and channels.",
        )
    batch_size = _check_positive_int(batch_size, "batch_size")
    total = source.shape[0]
    poses = np.empty((total, config["target_length"], config["n_channels"]), dtype="float32")
    states = np.empty((total, config["target_length"], config["hidden_size"]), dtype="float32")
    for start in range(0, total, batch_size):
        stop = min(start + batch_size, total)
        # Under a data-parallel distribution every batch must divide by the
        # device count: pad the last one and drop the padding afterwards.
        batch = source[start:stop]
        if total > batch_size and stop - start < batch_size:
            # A last, shorter batch would make TensorFlow trace a new graph:
            # pad it to the usual shape instead.
            padding = np.repeat(batch[-1:], batch_size - batch.shape[0], axis=0)
            batch = np.concatenate([batch, padding])
        batch, _ = pad_to_multiple(batch)
        n_real = stop - start
        outputs = model.predict_on_batch(batch)
        poses[start:stop] = ops.convert_to_numpy(outputs[POSES_NAME])[:n_real]
        states[start:stop] = ops.convert_to_numpy(outputs[STATES_NAME])[:n_real]
        if progress is not None:
            progress(stop, total)
    return poses, states


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
            f"Cannot read the training state file '{path}': {_one_line(error)}.",
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
            _check_is_seq2seq(model)
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
