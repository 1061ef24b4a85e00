"""The seq2seq model: layer contract, known answers, save/load, training and resume."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest

from mocap_seq2seq.errors import ModelFileError, UsageError
from mocap_seq2seq.model.layers import PoseDecoderCell, Seq2SeqGRU
from mocap_seq2seq.model.seq2seq import (
    CORE_NAME,
    POSES_NAME,
    STATES_NAME,
    build_from_config,
    build_seq2seq,
    load_seq2seq,
    load_weights,
    model_config,
    poses_model,
    predict_poses_and_states,
)
from mocap_seq2seq.model.trainers import make_trainer, slowness_loss

N_CHANNELS, HIDDEN, SOURCE, TARGET = 5, 8, 6, 4


def _model(**kwargs) -> keras.Model:
    keras.utils.set_random_seed(0)
    options = dict(hidden_size=HIDDEN, source_length=SOURCE, target_length=TARGET)
    return build_seq2seq(N_CHANNELS, **{**options, **kwargs})


def _source(n_windows: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_windows, SOURCE, N_CHANNELS)).astype("f4")


def _numpy(variable) -> np.ndarray:
    return np.array(keras.ops.convert_to_numpy(variable))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _gru_step(x: np.ndarray, h: np.ndarray, cell) -> np.ndarray:
    # Keras GRUCell with reset_after=True, gates ordered z, r, h.
    kernel, recurrent, bias = _numpy(cell.kernel), _numpy(cell.recurrent_kernel), _numpy(cell.bias)
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
    h_z, h_r, h_h = np.split(h @ recurrent + bias[1], 3, axis=-1)
    z, r = _sigmoid(x_z + h_z), _sigmoid(x_r + h_r)
    return z * h + (1 - z) * np.tanh(x_h + r * h_h)


def _reference_forward(model: keras.Model, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's equations written out in numpy, step by step."""
    core = model.get_layer(CORE_NAME)
    decoder_gru = core.decoder_cell.gru
    projection = core.decoder_cell.projection
    h = np.zeros((source.shape[0], core.hidden_size))
    for t in range(source.shape[1] - 1):
        h = _gru_step(source[:, t], h, core.encoder.cell)
    pose = source[:, -1]
    poses, states = [], []
    for _ in range(core.target_length):
        h = _gru_step(pose, h, decoder_gru)
        step = h @ _numpy(projection.kernel) + _numpy(projection.bias)
        pose = pose + step if core.residual else step
        poses.append(pose)
        states.append(h)
    return np.stack(poses, axis=1), np.stack(states, axis=1)


# --- layer contract ----------------------------------------------------------------------


def test_cell_config_round_trip_and_sizes() -> None:
    cell = PoseDecoderCell(N_CHANNELS, HIDDEN, residual=False, name="cell")
    clone = PoseDecoderCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    assert (clone.state_size, clone.output_size, clone.residual) == (
        [HIDDEN, N_CHANNELS],
        N_CHANNELS + HIDDEN,
        False,
    )


@pytest.mark.parametrize("tied", [True, False])
def test_core_layer_config_round_trip_and_output_shapes(tied: bool) -> None:
    layer = Seq2SeqGRU(N_CHANNELS, HIDDEN, TARGET, tied=tied, name="core")
    clone = Seq2SeqGRU.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    poses, states = clone(_source())
    assert tuple(poses.shape) == (3, TARGET, N_CHANNELS)
    assert tuple(states.shape) == (3, TARGET, HIDDEN)
    assert clone.compute_output_shape((None, SOURCE, N_CHANNELS)) == (
        (None, TARGET, N_CHANNELS),
        (None, TARGET, HIDDEN),
    )


def test_model_names_and_output_shapes() -> None:
    model = _model()
    assert model.get_layer("source").output.shape == (None, SOURCE, N_CHANNELS)
    outputs = model.predict_on_batch(_source())
    assert set(outputs) == {POSES_NAME, STATES_NAME}
    assert outputs[POSES_NAME].shape == (3, TARGET, N_CHANNELS)
    assert outputs[STATES_NAME].shape == (3, TARGET, HIDDEN)


@pytest.mark.parametrize(("tied", "n_weights"), [(True, 5), (False, 8)])
def test_tied_model_shares_one_gru(tied: bool, n_weights: int) -> None:
    # GRU kernel, recurrent kernel, bias (once if tied, twice if not) + projection kernel, bias.
    model = _model(tied=tied)
    core = model.get_layer(CORE_NAME)
    assert len(model.trainable_weights) == n_weights
    assert (core.encoder.cell is core.decoder_cell.gru) is tied


def test_one_training_step_keeps_everything_finite() -> None:
    model = _model()
    before = [_numpy(weight) for weight in model.weights]
    logs = make_trainer(model).train_on_batch(_source(), _source()[:, :TARGET])
    assert math.isfinite(logs["loss"]) and logs["loss"] == logs["mse"]
    after = [_numpy(weight) for weight in model.weights]
    assert all(np.isfinite(weight).all() for weight in after)
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))


@pytest.mark.parametrize("tied", [True, False])
def test_keras_file_round_trip_gives_identical_outputs(tmp_path: Path, tied: bool) -> None:
    model = _model(tied=tied)
    make_trainer(model).train_on_batch(_source(), _source()[:, :TARGET])
    model.save(tmp_path / "model.keras")
    loaded = load_seq2seq(tmp_path / "model.keras")
    source = _source(seed=1)
    expected, got = model.predict_on_batch(source), loaded.predict_on_batch(source)
    for name in (POSES_NAME, STATES_NAME):
        np.testing.assert_array_equal(got[name], expected[name])
    core = loaded.get_layer(CORE_NAME)
    assert len(loaded.trainable_weights) == len(model.trainable_weights)
    assert (core.encoder.cell is core.decoder_cell.gru) is tied
    assert model_config(loaded) == model_config(model)


# --- known answers -----------------------------------------------------------------------


def test_known_answer_with_constant_weights() -> None:
    # Zero kernels: every GRU unit follows h_n = z h_{n-1} + (1 - z) tanh(c), so after
    # n steps from zero h_n = tanh(c) (1 - z^n); the projection adds k * H * h_n + b.
    model = _model()
    core = model.get_layer(CORE_NAME)
    gru, projection = core.decoder_cell.gru, core.decoder_cell.projection
    bias_z, c, k, b = 0.3, 0.7, 0.05, -0.1
    gru.kernel.assign(np.zeros(gru.kernel.shape))
    gru.recurrent_kernel.assign(np.zeros(gru.recurrent_kernel.shape))
    input_bias = np.concatenate([np.full(HIDDEN, bias_z), np.zeros(HIDDEN), np.full(HIDDEN, c)])
    gru.bias.assign(np.stack([input_bias, np.zeros(3 * HIDDEN)]))
    projection.kernel.assign(np.full(projection.kernel.shape, k))
    projection.bias.assign(np.full(projection.bias.shape, b))
    source = _source()
    outputs = model.predict_on_batch(source)

    z = 1.0 / (1.0 + math.exp(-bias_z))
    steps = np.arange(1, TARGET + 1) + (SOURCE - 1)  # the encoder ran SOURCE - 1 steps
    h = math.tanh(c) * (1.0 - z**steps)  # (TARGET,)
    expected_states = np.broadcast_to(h[None, :, None], (3, TARGET, HIDDEN))
    increments = np.cumsum(k * HIDDEN * h + b)  # (TARGET,)
    expected_poses = source[:, -1:, :] + increments[None, :, None]
    np.testing.assert_allclose(outputs[STATES_NAME], expected_states, atol=1e-5)
    np.testing.assert_allclose(outputs[POSES_NAME], expected_poses, atol=1e-5)


@pytest.mark.parametrize(("tied", "residual"), [(True, True), (False, True), (True, False)])
def test_matches_numpy_reference(tied: bool, residual: bool) -> None:
    model = _model(tied=tied, residual=residual)
    source = _source(seed=2)
    outputs = model.predict_on_batch(source)
    poses, states = _reference_forward(model, source.astype("float64"))
    np.testing.assert_allclose(outputs[POSES_NAME], poses, atol=1e-5)
    np.testing.assert_allclose(outputs[STATES_NAME], states, atol=1e-5)


# --- batched prediction ------------------------------------------------------------------


def test_predict_in_batches_matches_one_batch_and_reports_progress() -> None:
    model = _model()
    source = _source(5)
    calls: list[tuple[int, int]] = []
    poses, states = predict_poses_and_states(
        model, source, batch_size=2, progress=lambda done, total: calls.append((done, total))
    )
    whole = model.predict_on_batch(source)
    np.testing.assert_allclose(poses, whole[POSES_NAME], atol=1e-6)
    np.testing.assert_allclose(states, whole[STATES_NAME], atol=1e-6)
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_predict_refuses_windows_of_the_wrong_shape() -> None:
    with pytest.raises(UsageError, match=r"must have shape \(n_windows, 6, 5\)"):
        predict_poses_and_states(_model(), np.zeros((2, SOURCE + 1, N_CHANNELS)))


# --- configs, weights and files ----------------------------------------------------------


def test_weights_round_trip_through_config(tmp_path: Path) -> None:
    model = _model(tied=False, residual=False)
    model.save_weights(tmp_path / "model.weights.h5")
    rebuilt = load_weights(build_from_config(model_config(model)), tmp_path / "model.weights.h5")
    source = _source()
    np.testing.assert_array_equal(
        rebuilt.predict_on_batch(source)[POSES_NAME], model.predict_on_batch(source)[POSES_NAME]
    )


def test_weights_of_another_config_give_a_model_file_error(tmp_path: Path) -> None:
    _model().save_weights(tmp_path / "model.weights.h5")
    other = build_from_config({**model_config(_model()), "hidden_size": HIDDEN + 1})
    with pytest.raises(ModelFileError, match="do not fit a model with config") as caught:
        load_weights(other, tmp_path / "model.weights.h5")
    assert "\n" not in str(caught.value)


def test_bad_configs_and_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="keys"):
        build_from_config({"n_channels": 3})
    with pytest.raises(ModelFileError, match="does not exist"):
        load_seq2seq(tmp_path / "missing.keras")
    with pytest.raises(ModelFileError, match="'.keras' file"):
        load_seq2seq(tmp_path / "model.weights.h5")
    (tmp_path / "corrupt.keras").write_bytes(b"not a zip archive")
    with pytest.raises(ModelFileError, match="Cannot read the model file"):
        load_seq2seq(tmp_path / "corrupt.keras")
    with pytest.raises(ModelFileError, match="does not exist"):
        load_weights(_model(), tmp_path / "missing.weights.h5")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_length": 1}, "'source_length' .* at least 2"),
        ({"hidden_size": 0}, "'hidden_size' .* at least 1"),
        ({"target_length": 2.5}, "'target_length' .* integer"),
    ],
)
def test_invalid_sizes_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _model(**kwargs)


def test_poses_model_shares_the_weights() -> None:
    model = _model()
    view = poses_model(model)
    assert view.output_shape == (None, TARGET, N_CHANNELS)
    assert {id(weight) for weight in view.weights} == {id(weight) for weight in model.weights}


# --- training ----------------------------------------------------------------------------


def _sine_windows(n_windows: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = np.arange(SOURCE + TARGET)[None, :, None] * 0.3
    phase = rng.uniform(0, 2 * np.pi, size=(n_windows, 1, 1))
    frequency = np.linspace(0.5, 1.5, N_CHANNELS)[None, None, :]
    frames = np.sin(frequency * time + phase).astype("float32")
    return frames[:, :SOURCE], frames[:, SOURCE:]


def test_training_lowers_the_loss_on_sine_waves() -> None:
    trainer = make_trainer(_model(), learning_rate=1e-2)
    source, target = _sine_windows()
    losses = [trainer.train_on_batch(source, target)["loss"] for _ in range(150)]
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])


def test_resume_from_saved_state_gives_the_same_losses(tmp_path: Path) -> None:
    source, target = _sine_windows()
    trainer = make_trainer(_model())
    for _ in range(3):
        trainer.train_on_batch(source, target)
    trainer.save_state(tmp_path / "state.h5")
    uninterrupted = [trainer.train_on_batch(source, target)["loss"] for _ in range(3)]

    fresh = make_trainer(_model(), learning_rate=1e-3)  # other initial weights, no Adam state
    fresh.load_state(tmp_path / "state.h5")
    resumed = [fresh.train_on_batch(source, target)["loss"] for _ in range(3)]
    np.testing.assert_allclose(resumed, uninterrupted, rtol=1e-6)


def test_state_of_another_model_is_refused(tmp_path: Path) -> None:
    make_trainer(_model()).save_state(tmp_path / "state.h5")
    other = make_trainer(_model(hidden_size=HIDDEN + 1))
    with pytest.raises(ModelFileError, match="do not fit"):
        other.load_state(tmp_path / "state.h5")
    with pytest.raises(ModelFileError, match="does not exist"):
        other.load_state(tmp_path / "missing.h5")


# --- the slowness experiment ------------------------------------------------------------


def test_slowness_loss_known_answers() -> None:
    rng = np.random.default_rng(0)
    still = np.repeat(rng.normal(size=(6, 1, 3)), 5, axis=1)  # each window constant in time
    assert np.allclose(keras.ops.convert_to_numpy(slowness_loss(None, still)), 0.0)
    flicker = np.stack([np.ones((5, 3)) * (-1) ** t for t in range(4)], axis=1)  # (5, 4, 3)
    # steps of size 2 every frame (squared 4) over a variance of 1: exactly 4 per window
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(slowness_loss(None, flicker)), 4.0, rtol=1e-5
    )
    states = rng.normal(size=(8, 5, 3))
    np.testing.assert_allclose(  # scale-free: ten times the states, the same loss
        keras.ops.convert_to_numpy(slowness_loss(None, 10 * states)),
        keras.ops.convert_to_numpy(slowness_loss(None, states)),
        rtol=1e-4,
    )


def test_slowness_trainer_slows_the_states_and_still_predicts() -> None:
    source, target = _sine_windows(seed=1)

    def trained(slowness: float) -> tuple[float, float]:
        keras.utils.set_random_seed(0)
        trainer = make_trainer(_model(), learning_rate=1e-2, slowness=slowness)
        for _ in range(150):
            logs = trainer.train_on_batch(source, target)
        assert all(math.isfinite(v) for v in logs.values())
        _, states = predict_poses_and_states(trainer.model, source)
        return float(keras.ops.convert_to_numpy(slowness_loss(None, states)).mean()), logs["mse"]

    plain_slowness, plain_mse = trained(0.0)
    slow_slowness, slow_mse = trained(1.0)
    assert slow_slowness < 0.7 * plain_slowness
    assert slow_mse < 0.5  # the sine waves (variance 0.5) are still predicted


def test_slowness_is_checked_in_the_config() -> None:
    from mocap_seq2seq.model.training import TrainConfig

    assert TrainConfig(slowness=0.5).slowness == 0.5
    with pytest.raises(UsageError, match="slowness"):
        TrainConfig(slowness=-1.0)
    assert TrainConfig(model_type="aged-paper-joint").model_type == "aged-paper-joint"
