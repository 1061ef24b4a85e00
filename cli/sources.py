"""Turn the sequence-selecting options (--trial, --actions, --data/--sequence) into a source.

One selector for every command: the shipped subject-86 trials (``--trial``),
case-(i) concatenations of single-action takes (``--actions`` /
``--num-actions``, from the shipped CMU takes or from a ``--data`` file), and
any sequence of a converted file (``--data FILE --sequence NAME``).
"""

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
    data: Path | None = None,
    sequence: str | None = None,
    frame_rate: float | None = None,
) -> Any:
    """The sequence named on the command line; ``frame_rate`` (``--frame-rate``) wins over
    the stored rate."""
    from mocap_seq2seq.data import sources
    from mocap_seq2seq.data.concatenation import parse_actions
    from mocap_seq2seq.data.store import catalogue, takes_catalogue
    from mocap_seq2seq.errors import UsageError

    concatenating = actions is not None or num_actions is not None
    if data is not None and trial is not None:
        raise UsageError(
            "--trial picks a shipped subject-86 trial; with --data, use --sequence.",
            fix="For example `--data mine.h5 --sequence walk_01`.",
        )
    if sequence is not None and (data is None or concatenating):
        raise UsageError(
            "--sequence needs --data (and no --actions).",
            fix="For example `--data mine.h5 --sequence walk_01`.",
        )
    if data is not None and not concatenating:
        return sources.file_source(data, sequence, frame_rate=frame_rate)
    chosen = [trial is not None, actions is not None, num_actions is not None]
    if sum(chosen) != 1:
        raise UsageError(
            "Say which sequence to use with exactly one of --trial, --actions, --num-actions "
            "or --data FILE [--sequence NAME].",
            fix="For example `--trial 01` or `--actions walking,running`.",
        )
    if trial is not None:
        return sources.trial_source(trial, data_dir, frame_rate=frame_rate)
    available = sorted(takes_catalogue(data)) if data is not None else catalogue(data_dir).actions
    names = parse_actions(actions, available) if actions is not None else None
    return sources.concatenation_source(
        actions=names,
        n_actions=num_actions,
        n_pieces=total_num_actions,
        seed=seed,
        chunk_length=chunk_length,
        drop_root=drop_root,
        data_dir=data_dir,
        data_file=data,
        frame_rate=frame_rate,
    )
