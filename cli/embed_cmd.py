"""`mocap embed`: not implemented yet."""

from __future__ import annotations


def embed() -> None:
    """Not implemented yet."""
    from mocap_seq2seq.errors import MocapError

    raise MocapError("`mocap embed` is not implemented yet.")
