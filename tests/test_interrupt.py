"""A Ctrl-C dropped on its way (in a garbage-collector callback) is not lost."""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Iterator

import pytest

from mocap_cli import interrupt


@pytest.fixture
def installed() -> Iterator[None]:
    handler, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt._requested.clear()
    interrupt.install()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = hook
        interrupt._requested.clear()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_swallowed_by_a_gc_callback_is_raised_at_the_next_check(
    installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def in_gc(phase: str, info: dict) -> None:
        if phase == "start":
            signal.raise_signal(signal.SIGINT)  # as if Ctrl-C came during a collection

    interrupt.check()  # nothing asked yet
    gc.callbacks.append(in_gc)
    try:
        gc.collect()  # the KeyboardInterrupt raised in the callback is dropped by Python
    finally:
        gc.callbacks.remove(in_gc)
    with pytest.raises(KeyboardInterrupt):
        interrupt.check()
    assert "Exception ignored" not in capsys.readouterr().err


def test_an_ignored_sigint_stays_ignored() -> None:
    handler = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupt.install()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, handler)
