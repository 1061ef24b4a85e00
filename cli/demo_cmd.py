"""`mocap demo`: not implemented yet."""

from __future__ import annotations


def demo() -> None:
    """Not implemented yet."""
    from mocap_seq2seq.errors import MocapError

    raise MocapError("`mocap demo` is not implemented yet.")
