"""Run under one KERAS_BACKEND: save a tiny trained model, cross-load others' files, or time steps.

Used by tests/test_backends.py (``save`` and ``load``) and by hand (``timing``):

    KERAS_BACKEND=jax OMP_NUM_THREADS=1 python tests/scripts/backend_script.py save FOLDER
    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python tests/scripts/backend_script.py load FOLDER
    KERAS_BACKEND=tensorflow OMP_NUM_THREADS=1 \
        python tests/scripts/backend_script.py timing [TRAINER]

``save`` writes ``FOLDER/<backend>.keras``, ``<backend>.weights.h5``,
``<backend>.config.json`` and ``<backend>.npz`` (the inputs and the saving
backend's predictions), then does what ``load`` does; ``load`` reads every
other backend's files found in FOLDER, predicts with both formats and exits
non-zero if any prediction differs by more than 1e-5. Prints one line per check.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

from mocap_seq2seq.model.aged import TRAINERS
from mocap_seq2seq.model.seq2seq import (
    POSES_NAME,
    STATES_NAME,
    build_from_config,
    build_seq2seq,
    load_seq2seq,
    load_weights,
    model_config,
    predict_poses_and_states,
)

TOLERANCE = 1e-5


def save(folder: Path) -> None:
    backend = keras.backend.backend()
    keras.utils.set_random_seed(7)
    model = build_seq2seq(5, hidden_size=8, source_length=6, target_length=4)
    rng = np.random.default_rng(7)
    source = rng.normal(size=(3, 6, 5)).astype("float32")
    target = rng.normal(size=(3, 4, 5)).astype("float32")
    TRAINERS["seq2seq"](model).train_on_batch(source, target)
    poses, states = predict_poses_and_states(model, source)
    model.save(folder / f"{backend}.keras")
    model.save_weights(folder / f"{backend}.weights.h5")
    (folder / f"{backend}.config.json").write_text(json.dumps(model_config(model)))
    np.savez(folder / f"{backend}.npz", source=source, poses=poses, states=states)
    print(f"saved {backend}")


def load(folder: Path) -> int:
    backend = keras.backend.backend()
    failures = 0
    for saved in sorted(folder.glob("*.npz")):
        other = saved.stem
        if other == backend:
            continue
        expected = np.load(saved)
        loaded = load_seq2seq(folder / f"{other}.keras")
        config = json.loads((folder / f"{other}.config.json").read_text())
        rebuilt = load_weights(build_from_config(config), folder / f"{other}.weights.h5")
        for label, model in (("keras", loaded), ("weights", rebuilt)):
            outputs = model.predict_on_batch(expected["source"])
            error = max(
                float(np.abs(outputs[POSES_NAME] - expected["poses"]).max()),
                float(np.abs(outputs[STATES_NAME] - expected["states"]).max()),
            )
            tied = len(model.trainable_weights) == 5
            ok = error <= TOLERANCE and tied
            failures += not ok
            print(f"{other}->{backend} {label} max_error={error:.2e} tied={tied} ok={ok}")
    return failures


def timing(trainer_name: str = "seq2seq", n_steps: int = 20) -> None:
    keras.utils.set_random_seed(0)
    model = build_seq2seq(62, hidden_size=256, source_length=50, target_length=25)
    trainer = TRAINERS[trainer_name](model)
    rng = np.random.default_rng(0)
    source = rng.normal(size=(16, 50, 62)).astype("float32")
    target = rng.normal(size=(16, 25, 62)).astype("float32")
    for _ in range(3):  # compile and warm up
        trainer.train_on_batch(source, target)
    start = time.perf_counter()
    for _ in range(n_steps):
        trainer.train_on_batch(source, target)
    milliseconds = (time.perf_counter() - start) / n_steps * 1000
    print(f"{keras.backend.backend()} {trainer_name}: {milliseconds:.1f} ms per train step")


def main(argv: list[str]) -> int:
    command = argv[1]
    if command == "save":  # save, then check the files of the backends that ran before
        save(Path(argv[2]))
        return 1 if load(Path(argv[2])) else 0
    if command == "load":
        return 1 if load(Path(argv[2])) else 0
    if command == "timing":
        timing(*argv[2:3])
        return 0
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
