"""Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens
to be; when that is a garbage-collector callback (JAX registers one, and it is
imported beside TensorFlow) or a destructor, the exception is printed as
"Exception ignored" and dropped, and a long training would carry on. The
handler installed here also remembers the request, and :func:`check` raises
the KeyboardInterrupt again: at every training step and embedding window (the
progress callbacks), after every take of a collection, and when a command
returns (the error boundary of ``mocap_cli.app``), so the command ends
"Interrupted." with exit 130. The "Exception ignored"
report of such a dropped interrupt is not printed: the user sees one line.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Any

_requested = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Use the remembering handler, unless SIGINT is ignored or handled by someone else."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, _on_sigint)
        previous = sys.unraisablehook

        def quiet_about_interrupts(unraisable: Any) -> None:
            if unraisable.exc_type is not KeyboardInterrupt:
                previous(unraisable)

        sys.unraisablehook = quiet_about_interrupts


def requested() -> bool:
    """Whether a Ctrl-C came: then any error that follows is its echo.

    Raised inside C code (TensorFlow's, during an import), the KeyboardInterrupt
    can surface as a SystemError "returned a result with an exception set".
    """
    return _requested.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came and was swallowed on its way."""
    if _requested.is_set():
        raise KeyboardInterrupt
