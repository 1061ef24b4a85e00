"""AGED trainers: the paper's joint objective, the alternating GAN update, resume, dispatch."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest

from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.model.aged import (
    AGED_MODES,
    CONTINUITY_NAME,
    FIDELITY_NAME,
    TRAINERS,
    build_discriminator,
    make_aged_trainer,
)
from mocap_seq2seq.model.seq2seq import POSES_NAME, build_seq2seq

N_CHANNELS, HIDDEN, SOURCE, TARGET = 5, 8, 6, 4


def _model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_seq2seq(N_CHANNELS, hidden_size=HIDDEN, source_length=SOURCE, target_length=TARGET)


def _batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = rng.normal(size=(4, SOURCE, N_CHANNELS)).astype("float32")
    target = rng.normal(size=(4, TARGET, N_CHANNELS)).astype("float32")
    return source, target


def _values(model: keras.Model) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(weight)) for weight in model.weights]


def _changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def test_discriminator_takes_sequences_of_any_length() -> None:
    discriminator = build_discriminator(N_CHANNELS, 3, "critic")
    for length in (TARGET, SOURCE + TARGET):
        logits = discriminator(np.zeros((2, length, N_CHANNELS), dtype="float32"))
        assert tuple(logits.shape) == (2, 1)


def test_paper_joint_known_losses_and_one_update_of_everything() -> None:
    # With all-zero logit layers every logit is 0, so each BCE term is log 2 and
    # f_loss = c_loss = 2 log 2; the total is 0.6 (mse + f_loss) + c_loss (paper code).
    model = _model()
    trainer = make_aged_trainer(model, mode="paper-joint")
    discriminators = (trainer.fidelity_discriminator, trainer.continuity_discriminator)
    for discriminator in discriminators:
        for weight in discriminator.get_layer(f"{discriminator.name}_logit").weights:
            weight.assign(np.zeros(weight.shape))
    parts = (model, *discriminators)
    before = [_values(part) for part in parts]
    source, target = _batch()
    mse = float(np.mean((model.predict_on_batch(source)[POSES_NAME] - target) ** 2))
    logs = trainer.train_on_batch(source, target)
    assert logs["fidelity"] == pytest.approx(2 * math.log(2), abs=1e-5)
    assert logs["continuity"] == pytest.approx(2 * math.log(2), abs=1e-5)
    assert logs["mse"] == pytest.approx(mse, rel=1e-5)
    expected = 0.6 * (logs["mse"] + logs["fidelity"]) + logs["continuity"]
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    # One optimiser over all weights: predictor and both discriminators move together.
    assert all(_changed(b, _values(part)) for b, part in zip(before, parts))
    assert all(math.isfinite(value) for value in trainer.train_on_batch(source, target).values())


def test_adversarial_steps_update_only_their_own_side() -> None:
    trainer = make_aged_trainer(_model(), mode="adversarial", discriminator_hidden_size=3)
    assert trainer.fidelity_discriminator.get_layer(f"{FIDELITY_NAME}_gru").units == 3
    source, target = _batch()
    discriminators = (trainer.fidelity_discriminator, trainer.continuity_discriminator)

    predictor_before = _values(trainer.model)
    critics_before = [_values(part) for part in discriminators]
    trainer.discriminator_step(source, target)
    assert not _changed(predictor_before, _values(trainer.model))
    assert all(_changed(b, _values(part)) for b, part in zip(critics_before, discriminators))

    critics_before = [_values(part) for part in discriminators]
    trainer.predictor_step(source, target)
    assert _changed(predictor_before, _values(trainer.model))
    assert not any(_changed(b, _values(part)) for b, part in zip(critics_before, discriminators))
    # Flags are restored: the predictor is left trainable for whoever uses it next.
    assert trainer.model.trainable

    logs = trainer.train_on_batch(source, target)
    assert set(logs) == {"loss", "mse", "fidelity", "continuity", "discriminator_loss"}
    assert all(math.isfinite(value) for value in logs.values())
    # Predictor loss: 0.6 mse + 0.6 BCE(D_f(fake), 1) + 1.0 BCE(D_c(fake), 1).
    expected = 0.6 * logs["mse"] + 0.6 * logs["fidelity"] + logs["continuity"]
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("mode", AGED_MODES)
def test_resume_from_saved_state_gives_the_same_losses(tmp_path: Path, mode: str) -> None:
    source, target = _batch()
    trainer = make_aged_trainer(_model(), mode=mode)
    for _ in range(2):
        trainer.train_on_batch(source, target)
    trainer.save_state(tmp_path / "state.h5")
    uninterrupted = [trainer.train_on_batch(source, target) for _ in range(2)]

    fresh = make_aged_trainer(_model(), mode=mode)
    fresh.load_state(tmp_path / "state.h5")
    resumed = [fresh.train_on_batch(source, target) for _ in range(2)]
    for expected, got in zip(uninterrupted, resumed):
        assert got.keys() == expected.keys()
        for key in expected:
            assert got[key] == pytest.approx(expected[key], rel=1e-6), key
    names = {layer.name for layer in fresh.continuity_discriminator.layers}
    assert f"{CONTINUITY_NAME}_gru" in names


def test_state_of_another_trainer_kind_is_refused(tmp_path: Path) -> None:
    from mocap_seq2seq.errors import ModelFileError

    make_aged_trainer(_model(), mode="paper-joint").save_state(tmp_path / "state.h5")
    with pytest.raises(ModelFileError, match="'aged-paper-joint' trainer, not 'aged-adversarial'"):
        make_aged_trainer(_model(), mode="adversarial").load_state(tmp_path / "state.h5")


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(UsageError, match="Unknown AGED training mode 'gan'"):
        make_aged_trainer(_model(), mode="gan")
    with pytest.raises(UsageError, match="'mse_weight' must be a non-negative number"):
        make_aged_trainer(_model(), mse_weight=-1.0)
    with pytest.raises(UsageError, match="only in adversarial mode"):
        make_aged_trainer(_model()).discriminator_step(*_batch())


def test_dispatch_table_builds_every_trainer() -> None:
    # Each entry is called the same way; training each kind is covered above.
    assert set(TRAINERS) == {"seq2seq", "aged-paper-joint", "aged-adversarial"}
    kinds = {
        name: make(_model(), learning_rate=1e-3, clip_norm=1.0).kind
        for name, make in TRAINERS.items()
    }
    assert kinds == {name: name for name in TRAINERS}
