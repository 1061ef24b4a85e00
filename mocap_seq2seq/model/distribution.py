"""Data-parallel training over all local devices (JAX backend only).

Keras 3's distribution API shards every batch along its first axis across
the devices of a mesh. Two constraints follow, and are enforced here rather
than discovered as a shape error deep inside XLA:

* it works on the JAX backend only (TensorFlow sees one CPU device here;
  Keras has no torch distribution);
* every batch must divide by the number of devices: the training batch, the
  last partial batch of a prediction and the evaluation windows included
  (:func:`pad_to_multiple` pads prediction inputs).

On a CPU, ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (set before
JAX starts) makes two host devices, which is how the tests check correctness.
"""

from __future__ import annotations

import numpy as np

from mocap_seq2seq.errors import UsageError


def device_count() -> int:
    """Devices a batch is split across: 1 without a distribution."""
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    return int(np.prod(distribution.device_mesh.shape))


def enable_data_parallel() -> int:
    """Shard batches over every local device; return the device count."""
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise UsageError(
            f"--distribute needs the JAX backend; KERAS_BACKEND is '{backend}'.",
            "KERAS_BACKEND=jax",
            "Run with KERAS_BACKEND=jax, or drop --distribute.",
        )
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def check_batch_size(batch_size: int) -> None:
    """Refuse a batch size the devices cannot share equally."""
    count = device_count()
    if batch_size % count:
        raise UsageError(
            f"The batch size ({batch_size}) must divide by the number of devices ({count}).",
            f"a multiple of {count}",
            f"Pass --batch-size {max(count, batch_size - batch_size % count)}.",
        )


def pad_to_multiple(batch: np.ndarray) -> tuple[np.ndarray, int]:
    """Pad a batch (repeating its last row) to a multiple of the device count.

    Returns the padded batch and the number of real rows.

    Example:
    >>> padded, n = pad_to_multiple(np.zeros((3, 2)))
    >>> padded.shape[0] >= n == 3
    True
    """
    count = device_count()
    n = batch.shape[0]
    missing = (-n) % count
    if missing == 0:
        return batch, n
    return np.concatenate([batch, np.repeat(batch[-1:], missing, axis=0)]), n
