"""Case (i): seeded recipes, no equal neighbours, root re-basing, rebuild from the recipe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mocap_seq2seq.data.concatenation import (
    Recipe,
    build_concatenation,
    concatenate_actions,
    make_recipe,
    parse_actions,
)
from mocap_seq2seq.errors import UsageError

CATALOGUE = {"a": [(1, 100), (2, 80)], "b": [(1, 50)], "c": [(3, 70), (4, 90)]}


@pytest.mark.parametrize("seed", range(5))
def test_recipe_is_seeded_and_has_no_equal_neighbours(seed: int) -> None:
    recipe = make_recipe(CATALOGUE, n_actions=3, n_pieces=7, seed=seed)
    again = make_recipe(CATALOGUE, n_actions=3, n_pieces=7, seed=seed)
    assert recipe == again
    actions = [piece.action for piece in recipe.pieces]
    assert len(actions) == 7 and set(actions) == {"a", "b", "c"}
    assert all(x != y for x, y in zip(actions, actions[1:]))
    assert Recipe.from_dict(recipe.to_dict()) == recipe


def test_chunks_have_the_requested_length() -> None:
    recipe = make_recipe(CATALOGUE, actions=["a", "c"], n_pieces=4, seed=0, chunk_length=60)
    assert all(piece.end - piece.start == 60 for piece in recipe.pieces)


def test_bad_action_lists_are_refused() -> None:
    with pytest.raises(UsageError, match="Unknown action 'x'"):
        parse_actions("a,x", list(CATALOGUE))
    with pytest.raises(UsageError, match="twice"):
        parse_actions("a,a", list(CATALOGUE))
    with pytest.raises(UsageError, match="empty"):
        parse_actions("", list(CATALOGUE))
    with pytest.raises(UsageError, match="smaller than"):
        make_recipe(CATALOGUE, actions=["a", "b", "c"], n_pieces=2)


def test_root_is_rebased_and_recipe_rebuilds_the_frames(data_dir: Path) -> None:
    built = concatenate_actions(
        actions=["walking", "jumping"], n_pieces=4, seed=3, data_dir=data_dir
    )
    assert built.frames.shape[1] == 117
    assert built.labels.shape == (built.frames.shape[0],)
    for boundary in built.boundaries:  # no jump of the root position at a join
        step = np.abs(built.frames[boundary, :3] - built.frames[boundary - 1, :3]).max()
        assert step < 1e-5
    again = build_concatenation(Recipe.from_dict(built.recipe.to_dict()), data_dir)
    np.testing.assert_array_equal(again.frames, built.frames)
    dropped = concatenate_actions(
        actions=["walking", "jumping"], n_pieces=4, seed=3, drop_root=True, data_dir=data_dir
    )
    assert dropped.frames.shape[1] == 114
