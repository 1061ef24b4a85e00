"""The custom layers of the seq2seq GRU: one decoder step, and the encoder-decoder layer.

:class:`PoseDecoderCell` is one decoder step whose state is ``[h,
previous_pose]`` and whose output is ``concat(pose, h)``; :class:`Seq2SeqGRU`
wraps the encoder and this cell (both in ``keras.layers.RNN``) in one layer, so
that the tied cell is one object inside one layer's config and stays tied after
``.keras`` save and load. The architecture is described in
:mod:`mocap_seq2seq.model.seq2seq`, which builds the model around them.

Both are registered under ``package="mocap_seq2seq"`` (registered names
``mocap_seq2seq>PoseDecoderCell`` and ``mocap_seq2seq>Seq2SeqGRU``): the
names, not this module's path, are what ``.keras`` files refer to.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from mocap_seq2seq.errors import UsageError

#: Package name under which every custom object is registered.
PACKAGE = "mocap_seq2seq"


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
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
        self.n_channels = check_positive_int(n_channels, "n_channels")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.residual = bool(residual)
        self.state_size = [self.hidden_size, self.n_channels]
        self.output_size = self.n_channels + self.hidden_size
        # Sub-layers share this layer's dtype policy: under "mixed_float16"
        # they compute in float16 and keep float32 variables, as the layer does.
        self.gru = keras.layers.GRUCell(self.hidden_size, name="gru", dtype=self.dtype_policy)
        self.projection = keras.layers.Dense(
            self.n_channels, name="projection", dtype=self.dtype_policy
        )

    def build(self, input_shape: Any = None) -> None:
        # The step input is a dummy: the GRU's real input is the previous pose.
        if not self.gru.built:
            self.gru.build((None, self.n_channels))
        if not self.projection.built:
            self.projection.build((None, self.hidden_size))
        self.built = True

    def call(
        self, inputs: Any, states: list[Any] | None = None, training: bool | None = None
    ) -> tuple[Any, list[Any]]:
        if states is None:
            # keras.layers.RNN always passes the states; a bare call (or Keras
            # inferring the output spec from the step input) starts from zeros.
            batch = ops.shape(inputs)[0]
            states = [
                ops.zeros((batch, size), dtype=self.compute_dtype) for size in self.state_size
            ]
        # Keras autocasts the step input only; the states (an initial state
        # given in float32 under a mixed policy) are cast here. A no-op in float32.
        h_previous = ops.cast(states[0], self.compute_dtype)
        pose_previous = ops.cast(states[1], self.compute_dtype)
        h, _ = self.gru(pose_previous, [h_previous], training=training)
        pose = self.projection(h)
        if self.residual:
            pose = pose + pose_previous
        return ops.concatenate([pose, h], axis=-1), [h, pose]

    def compute_output_shape(
        self, inputs_shape: Any, states_shape: Any = None
    ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        # The shapes follow from the configuration and the batch alone.
        batch = inputs_shape[0]
        return (batch, self.output_size), [(batch, self.hidden_size), (batch, self.n_channels)]

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
        self.n_channels = check_positive_int(n_channels, "n_channels")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.target_length = check_positive_int(target_length, "target_length")
        self.tied = bool(tied)
        self.residual = bool(residual)
        # Every sub-layer is made with this layer's dtype policy, so that a
        # mixed policy reaches the shared GRU cell, the projection and both RNNs.
        policy = self.dtype_policy
        self.decoder_cell = PoseDecoderCell(
            self.n_channels, self.hidden_size, self.residual, name="decoder_cell", dtype=policy
        )
        encoder_cell = (
            self.decoder_cell.gru
            if self.tied
            else keras.layers.GRUCell(self.hidden_size, name="encoder_gru", dtype=policy)
        )
        self.encoder = keras.layers.RNN(encoder_cell, name="encoder", dtype=policy)
        self.decoder = keras.layers.RNN(
            self.decoder_cell, return_sequences=True, name="decoder", dtype=policy
        )

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

    def call(self, source: Any, training: bool | None = None) -> tuple[Any, Any]:
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
