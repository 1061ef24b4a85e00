"""Keras' own layer contract (keras.src.testing's run_layer_test) on each custom layer.

run_layer_test constructs the layer, round-trips its config, builds it on
symbolic and eager input, checks the output shapes, fits it one step,
saves and reloads it, and (run_mixed_precision_check) builds it again under the
"mixed_float16" policy: outputs must come out in float16 while every variable
stays float32. Under torch Keras runs that last check only with CUDA.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
from keras.src import testing

from mocap_seq2seq.model.layers import PoseDecoderCell, Seq2SeqGRU

N_CHANNELS, HIDDEN, SOURCE, TARGET, BATCH = 3, 4, 5, 2, 2


# run_layer_test's fit step feeds a generator and passes shuffle=True; Keras warns that it
# ignores it. That warning is about the test harness, not about our layers.
@pytest.mark.filterwarnings("ignore:`shuffle=True` was passed:UserWarning")
class TestLayerContract(testing.TestCase):
    def _seq2seq_contract(self, **options: bool) -> None:
        self.run_layer_test(
            Seq2SeqGRU,
            {
                "n_channels": N_CHANNELS,
                "hidden_size": HIDDEN,
                "target_length": TARGET,
                **options,
            },
            input_shape=(BATCH, SOURCE, N_CHANNELS),
            expected_output_shape=((BATCH, TARGET, N_CHANNELS), (BATCH, TARGET, HIDDEN)),
            # tied: one GRU (kernel, recurrent kernel, bias) + the projection (kernel, bias)
            expected_num_trainable_weights=5 if options.get("tied", True) else 8,
            expected_num_non_trainable_weights=0,
            run_training_check=True,
            run_mixed_precision_check=True,
        )

    def test_tied_seq2seq_gru(self) -> None:
        self._seq2seq_contract(tied=True)

    def test_untied_seq2seq_gru(self) -> None:
        self._seq2seq_contract(tied=False)

    def test_non_residual_seq2seq_gru(self) -> None:
        self._seq2seq_contract(residual=False)

    def test_pose_decoder_cell(self) -> None:
        # A cell is called with its states; its one-step output is concat(pose, h).
        states = [np.ones((BATCH, HIDDEN), "float32"), np.ones((BATCH, N_CHANNELS), "float32")]
        self.run_layer_test(
            PoseDecoderCell,
            {"n_channels": N_CHANNELS, "hidden_size": HIDDEN},
            input_data=np.zeros((BATCH, 1), "float32"),
            call_kwargs={"states": states},
            expected_output_shape=(
                (BATCH, N_CHANNELS + HIDDEN),
                [(BATCH, HIDDEN), (BATCH, N_CHANNELS)],
            ),
            expected_num_trainable_weights=5,
            # fit() needs one output to compare with; the cell is trained inside Seq2SeqGRU.
            run_training_check=False,
            run_mixed_precision_check=True,
        )


@pytest.mark.parametrize("layer_cls", [PoseDecoderCell, Seq2SeqGRU])
def test_call_leaves_training_to_keras(layer_cls: type) -> None:
    # None lets Keras fill in the training flag of the enclosing call (fit, predict).
    assert inspect.signature(layer_cls.call).parameters["training"].default is None


@pytest.mark.parametrize("tied", [True, False])
def test_mixed_precision_reaches_every_sub_layer(tied: bool) -> None:
    layer = Seq2SeqGRU(N_CHANNELS, HIDDEN, TARGET, tied=tied, dtype="mixed_float16")
    source = np.random.default_rng(0).normal(size=(BATCH, SOURCE, N_CHANNELS)).astype("f4")
    poses, states = layer(source)
    assert keras.backend.standardize_dtype(poses.dtype) == "float16"
    assert keras.backend.standardize_dtype(states.dtype) == "float16"
    sub_layers = [layer.decoder_cell, layer.decoder_cell.gru, layer.decoder_cell.projection]
    sub_layers += [layer.encoder, layer.decoder, layer.encoder.cell]
    assert {sub.dtype_policy.name for sub in sub_layers} == {"mixed_float16"}
    assert {variable.dtype for variable in layer.weights} == {"float32"}
    # The same weights in float32 give the same poses, to float16 precision.
    reference = Seq2SeqGRU(N_CHANNELS, HIDDEN, TARGET, tied=tied)
    reference(source)
    reference.set_weights(layer.get_weights())
    expected, _ = reference(source)
    assert np.allclose(
        keras.ops.convert_to_numpy(poses).astype("f4"),
        keras.ops.convert_to_numpy(expected),
        atol=2e-2,
    )
