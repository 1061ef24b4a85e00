"""`mocap evaluate`: not implemented yet."""

from __future__ import annotations


def evaluate() -> None:
    """Not implemented yet."""
    from mocap_seq2seq.errors import MocapError

    raise MocapError("`mocap evaluate` is not implemented yet.")
