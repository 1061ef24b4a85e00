"""The HDF5 store round-trips arbitrary finite float32 frames and sequence names (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mocap_seq2seq.data import store
from mocap_seq2seq.errors import BadDataError

# Any printable name without '/' (the HDF5 path separator, refused by the writer).
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
    min_size=1,
    max_size=20,
).filter(lambda name: name not in (".", ".."))
frames = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 40), st.integers(1, 8)),
    elements=st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@settings(max_examples=60, deadline=None)
@given(
    sequences=st.lists(st.tuples(names, frames), min_size=1, max_size=3, unique_by=lambda x: x[0])
)
def test_write_then_read_is_bit_exact(sequences) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "collection.h5"
        written = [
            store.Sequence(name=name, kind="sequence", n_frames=len(array), frames=array)
            for name, array in sequences
        ]
        store.write_collection(path, written, collection="property")
        assert sorted(store.sequence_names(path)) == sorted(name for name, _ in sequences)
        for name, array in sequences:
            read = store.read_sequence(path, name)
            assert read.frames.dtype == np.float32 and read.frames.shape == array.shape
            assert read.frames.tobytes() == array.tobytes()  # bit-exact, -0.0 included
            assert (read.name, read.n_frames, read.kind) == (name, len(array), "sequence")
        assert [p.name for p in Path(folder).iterdir()] == ["collection.h5"]


@settings(max_examples=30, deadline=None)
@given(array=frames, labels_seed=st.integers(0, 2**16))
def test_labels_and_attributes_round_trip(array: np.ndarray, labels_seed: int) -> None:
    labels = np.random.default_rng(labels_seed).integers(0, 3, size=len(array))
    sequence = store.Sequence(
        name="s",
        kind="take",
        n_frames=len(array),
        frames=array,
        frame_rate=120.0,
        action="walking",
        take=3,
        source_file="a/b.txt",
        labels=labels,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = store.write_collection(Path(folder) / "c.h5", [sequence], collection="property")
        read = store.read_sequence(path, "s")
    np.testing.assert_array_equal(read.labels, labels)
    assert (read.frame_rate, read.action, read.take, read.source_file) == (
        120.0,
        "walking",
        3,
        "a/b.txt",
    )


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(["", ".", "..", "a/b", "/"]))
def test_unusable_names_are_refused_and_nothing_is_written(name: str) -> None:
    sequence = store.Sequence(
        name=name, kind="sequence", n_frames=1, frames=np.zeros((1, 1), np.float32)
    )
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(BadDataError, match="not usable"):
            store.write_collection(Path(folder) / "c.h5", [sequence], collection="property")
        assert not list(Path(folder).iterdir())
