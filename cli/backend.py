"""Import Keras once, quietly, on the backend KERAS_BACKEND names, or say clearly why not."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

#: Backends the toolkit supports, and the command that installs each. Torch's
#: CPU build comes from PyTorch's own index: the registry's default build pulls
#: several GB of CUDA libraries that a CPU machine never uses.
BACKENDS = {
    "tensorflow": 'pip install -e "."',
    "jax": 'pip install -e ".[jax]"',
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
}


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    # TensorFlow's C++ runtime prints start-up notices straight to file
    # descriptor 2, ignoring TF_CPP_MIN_LOG_LEVEL; hide them during the import.
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. under a test runner)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras() -> object:
    """Return the keras module on the chosen backend; a one-line error if it cannot load."""
    from mocap_seq2seq.errors import UsageError

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend not in BACKENDS:
        raise UsageError(
            f"Unknown KERAS_BACKEND '{backend}'.",
            f"one of {', '.join(BACKENDS)}",
            "Set KERAS_BACKEND to one of them, or unset it for tensorflow.",
        )
    if "keras" in sys.modules:
        _quiet_tensorflow(backend)
        return sys.modules["keras"]
    try:
        if os.environ.get("MOCAP_DEBUG") == "1":
            import keras
        else:
            with _stderr_silenced():
                import keras
    except ImportError as error:
        raise UsageError(
            f"KERAS_BACKEND={backend} but {backend} cannot be imported ({error}).",
            f"{backend} installed",
            f"Install it with `{BACKENDS[backend]}` or choose another KERAS_BACKEND.",
        ) from None
    _quiet_tensorflow(backend)
    return keras


def _quiet_tensorflow(backend: str) -> None:
    """Hide TensorFlow's Python warnings (unless --debug).

    E.g. "triggered tf.function retracing" when a collection embeds its takes
    with one model each: it means nothing to a user.
    """
    if backend == "tensorflow" and os.environ.get("MOCAP_DEBUG") != "1":
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)
