"""`mocap train`: not implemented yet."""

from __future__ import annotations


def train() -> None:
    """Not implemented yet."""
    from mocap_seq2seq.errors import MocapError

    raise MocapError("`mocap train` is not implemented yet.")
