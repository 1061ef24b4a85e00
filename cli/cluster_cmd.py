"""`mocap cluster`: not implemented yet."""

from __future__ import annotations


def cluster() -> None:
    """Not implemented yet."""
    from mocap_seq2seq.errors import MocapError

    raise MocapError("`mocap cluster` is not implemented yet.")
