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

The heart is :class:`~mocap_seq2seq.model.layers.PoseDecoderCell`, one
decoder step, wrapped with the encoder in
:class:`~mocap_seq2seq.model.layers.Seq2SeqGRU` (:mod:`mocap_seq2seq.model.layers`);
this module builds, describes, loads and runs the model around them, and
:mod:`mocap_seq2seq.model.trainers` trains it. The model
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
from typing import Any

import keras
import numpy as np
from keras import ops

from mocap_seq2seq.errors import ModelFileError, UsageError
from mocap_seq2seq.model.distribution import pad_to_multiple
from mocap_seq2seq.model.layers import PACKAGE, PoseDecoderCell, Seq2SeqGRU, check_positive_int

__all__ = [
    "CONFIG_KEYS",
    "CORE_NAME",
    "PACKAGE",
    "POSES_NAME",
    "SOURCE_NAME",
    "STATES_NAME",
    "PoseDecoderCell",
    "Seq2SeqGRU",
    "build_from_config",
    "build_seq2seq",
    "check_is_seq2seq",
    "load_seq2seq",
    "load_weights",
    "model_config",
    "poses_model",
    "predict_poses_and_states",
]

#: Names of the model's layers and outputs; fetch layers with these, never by index.
SOURCE_NAME = "source"
CORE_NAME = "encoder_decoder"
POSES_NAME = "poses"
STATES_NAME = "decoder_states"

#: Keys of :func:`model_config`, the plain-JSON description of a model.
CONFIG_KEYS = ("n_channels", "hidden_size", "source_length", "target_length", "tied", "residual")


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
    n_channels = check_positive_int(n_channels, "n_channels")
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    source_length = check_positive_int(source_length, "source_length", minimum=2)
    target_length = check_positive_int(target_length, "target_length")
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
    check_is_seq2seq(model)
    return keras.Model(model.input, model.get_layer(POSES_NAME).output, name=f"{model.name}_poses")


def check_is_seq2seq(model: Any) -> None:
    """Refuse anything but a model made by :func:`build_seq2seq` (its named layers)."""
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
    check_is_seq2seq(model)
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
            f"Cannot read the model file '{path}': {one_line_error(error)}.",
            "a complete '.keras' archive of a seq2seq model",
            "Re-save or re-train the model; the file may be truncated.",
        ) from error
    check_is_seq2seq(model)
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
    check_is_seq2seq(model)
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
        reason = one_line_error(error)
        raise ModelFileError(
            f"The weights in '{path}' do not fit a model with config {config}: {reason}.",
            "weights saved from a model with the same config",
            "Build the model from the config.json saved next to these weights.",
        ) from error
    return model


def one_line_error(error: BaseException) -> str:
    """The first 300 characters of an error, on one line, for the one-line error boundary."""
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
    check_is_seq2seq(model)
    config = model_config(model)
    source = np.asarray(source, dtype="float32")
    expected = (config["source_length"], config["n_channels"])
    if source.ndim != 3 or source.shape[1:] != expected:
        raise UsageError(
            f"The source windows must have shape (n_windows, {expected[0]}, {expected[1]}). "
            f"Got {source.shape}.",
            fix="Make windows with the model's source length and channels.",
        )
    batch_size = check_positive_int(batch_size, "batch_size")
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
