"""Turn the sequence-selecting options (--trial, --actions, ...) into a SequenceSource."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def select_source(
    *,
    trial: str | None,
    actions: str | None,
    num_actions: int | None = None,
    total_num_actions: int | None = None,
    chunk_length: int | None = None,
    drop_root: bool = False,
    seed: int = 0,
    data_dir: Path | None = None,
) -> Any:
    """The sequence named on the command line (one of --trial, --actions, --num-actions)."""
    from mocap_seq2seq import sources
    from mocap_seq2seq.concatenation import parse_actions
    from mocap_seq2seq.errors import UsageError
    from mocap_seq2seq.store import catalogue

    chosen = [trial is not None, actions is not None, num_actions is not None]
    if sum(chosen) != 1:
        raise UsageError(
            "Say which sequence to use with exactly one of --trial, --actions or --num-actions.",
            fix="For example `--trial 01` or `--actions walking,running`.",
        )
    if trial is not None:
        return sources.trial_source(trial, data_dir)
    available = catalogue(data_dir).actions
    names = parse_actions(actions, available) if actions is not None else None
    return sources.concatenation_source(
        actions=names,
        n_actions=num_actions,
        n_pieces=total_num_actions,
        seed=seed,
        chunk_length=chunk_length,
        drop_root=drop_root,
        data_dir=data_dir,
    )
