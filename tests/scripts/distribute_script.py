"""Run under KERAS_BACKEND=jax with 2 forced host devices: data-parallel training works.

Invoked by tests/test_distribution.py in a subprocess, because XLA_FLAGS must be
set before JAX starts.
"""

from __future__ import annotations

import json
import sys
import tempfile

from mocap_seq2seq.data.synthetic import piecewise_motion
from mocap_seq2seq.embedding import embed_sequence
from mocap_seq2seq.errors import UsageError
from mocap_seq2seq.model import training
from mocap_seq2seq.model.distribution import device_count, enable_data_parallel

n_devices = enable_data_parallel()
frames = piecewise_motion(n_frames=301, n_channels=6, seed=0).frames
config = training.TrainConfig(
    hidden_size=8, source_length=10, target_length=5, batch_size=8, steps=6, checkpoint_every=3
)
with tempfile.TemporaryDirectory() as folder:
    result = training.train(config, frames, f"{folder}/run")
    model, normalization, _ = training.load_run(f"{folder}/run")
    embedding = embed_sequence(model, normalization, frames, batch_size=7)  # odd batches
    try:
        training.train(config.replace(batch_size=7), frames, f"{folder}/odd")
        odd = "accepted"
    except UsageError as error:
        odd = str(error)
print(
    json.dumps(
        {
            "devices": n_devices,
            "device_count": device_count(),
            "losses": result.history["loss"],
            "states": list(embedding.states.shape),
            "odd_batch": odd,
        }
    )
)
sys.exit(0)
