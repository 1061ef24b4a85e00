"""Seed ensembles: N predictors of one sequence, trained into one run folder.

One trained model is a lottery on subject 86: another seed moves a trial's
oracle ARI by up to 0.5 (issue 19). An ensemble trains the same config with
seeds ``seed .. seed + N - 1`` and combines the members' decoder states
(:func:`mocap_seq2seq.embedding.combine_states`).

Layout: the ensemble folder holds ``ensemble.json`` and one ordinary run
folder per member, ``member-0 .. member-<N-1>``, each resumable on its own::

    ensemble.json     {"layout": ..., "n_members": N, "seeds": [...], "members": [...]}
    member-0/         a run folder (mocap_seq2seq.model.run_folder), seed = seeds[0]
    member-1/         ...

:func:`train_ensemble` trains the members one after the other; resuming
continues the unfinished ones and skips the finished. :func:`load_members`
loads every member of a run folder: one for a plain run, N for an ensemble;
an unfinished member is a :class:`~mocap_seq2seq.errors.ModelFileError` that
says how to finish it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mocap_seq2seq.atomic import hold_lock, write_json
from mocap_seq2seq.errors import ModelFileError, OutputExistsError, UsageError
from mocap_seq2seq.validation import Field, check_int, read_json_object

ENSEMBLE_FILE = "ensemble.json"
ENSEMBLE_LAYOUT = "mocap_seq2seq/ensemble/1"
#: Most members one ensemble may have (each is a full training).
MAX_MEMBERS = 64

__all__ = [
    "ENSEMBLE_FILE",
    "EnsembleResult",
    "Member",
    "is_ensemble",
    "load_members",
    "member_dirs",
    "read_ensemble",
    "start_ensemble",
    "train_ensemble",
]


def _member_names(value: list) -> str | None:
    for item in value:
        if not isinstance(item, str) or "/" in item or "\\" in item or item in ("", ".", ".."):
            return f"holds {item!r}, not the name of a member folder"
    return None


ENSEMBLE_SCHEMA = {
    "layout": str,
    "n_members": Field((int,), check=lambda n: None if n >= 1 else f"is {n}, below 1"),
    "seeds": list,
    "members": Field((list,), check=_member_names),
}


def member_name(index: int) -> str:
    """The folder of member ``index`` inside an ensemble run folder."""
    return f"member-{index}"


def is_ensemble(run: str | os.PathLike[str]) -> bool:
    """Whether ``run`` is an ensemble folder (it holds ``ensemble.json``)."""
    return (Path(run) / ENSEMBLE_FILE).is_file()


def read_ensemble(run: str | os.PathLike[str]) -> dict[str, Any]:
    """``ensemble.json`` of ``run``, checked field by field."""
    path = Path(run) / ENSEMBLE_FILE
    fix = "Train the ensemble again with `mocap train --ensemble N --overwrite`."
    content = read_json_object(path, ENSEMBLE_SCHEMA, error=ModelFileError, fix=fix)
    if content["layout"] != ENSEMBLE_LAYOUT or not (
        len(content["members"]) == len(content["seeds"]) == content["n_members"]
    ):
        raise ModelFileError(f"'{path}' is damaged: its members and seeds disagree.", fix=fix)
    return content


def member_dirs(run: str | os.PathLike[str]) -> list[Path]:
    """The run folders of ``run``'s members: ``[run]`` itself for a plain run."""
    run = Path(run)
    if not is_ensemble(run):
        return [run]
    return [run / name for name in read_ensemble(run)["members"]]


@dataclass(frozen=True)
class EnsembleResult:
    """The outcome of :func:`train_ensemble`: one TrainResult per member, in seed order."""

    run_dir: Path
    members: tuple[Any, ...]

    @property
    def seconds(self) -> float:
        return float(sum(member.seconds for member in self.members))

    @property
    def final_loss(self) -> float:
        return float(np.mean([member.final_loss for member in self.members]))


def check_n_members(n_members: Any) -> int:
    """``n_members`` as an int in ``1 .. MAX_MEMBERS``, or a UsageError (exit 2)."""
    return int(
        check_int(
            n_members,
            "ensemble",
            owner="mocap train",
            low=1,
            high=MAX_MEMBERS,
            option="--ensemble",
        )
    )


def start_ensemble(
    config: Any,
    frames: np.ndarray,
    run_dir: str | os.PathLike[str],
    n_members: int,
    *,
    overwrite: bool = False,
) -> tuple[list[int], list[str]]:
    """Create an ensemble folder (its ``ensemble.json``; no member trained yet).

    :func:`train_ensemble` with ``resume=True`` then trains the members; a
    caller may first place a finished run of ``config`` (seed ``seeds[0]``)
    in ``member-0`` to reuse it.

    Returns:
        ``(seeds, member folder names)``.
    """
    from mocap_seq2seq.model import training

    run = Path(run_dir)
    n_members = check_n_members(n_members)
    if config.seed + n_members - 1 > training.MAX_SEED:
        raise UsageError(
            f"The seeds {config.seed}..{config.seed + n_members - 1} of the ensemble "
            f"pass the largest seed {training.MAX_SEED}.",
            fix="Pass a smaller --seed.",
        )
    seeds = [config.seed + index for index in range(n_members)]
    names = [member_name(index) for index in range(n_members)]
    training.check_window(frames.shape[0], config.source_length, config.target_length)
    training.make_run_folder(run)
    with hold_lock(run, what="Ensemble folder"):
        leftovers = [path for path in run.iterdir() if not path.name.startswith(".")]
        if leftovers and not overwrite:
            raise OutputExistsError(
                f"Run folder '{run}' already exists and is not empty.",
                "a new folder",
                "Pass --resume to continue it, --overwrite to restart it, or another --output.",
            )
        write_json(
            run / ENSEMBLE_FILE,
            {
                "layout": ENSEMBLE_LAYOUT,
                "n_members": n_members,
                "seeds": seeds,
                "members": names,
            },
        )
    return seeds, names


def train_ensemble(
    config: Any,
    frames: np.ndarray,
    run_dir: str | os.PathLike[str],
    n_members: int,
    *,
    resume: bool = False,
    overwrite: bool = False,
    on_member: Callable[[int, int, Path], None] | None = None,
    **train_options: Any,
) -> EnsembleResult:
    """Train ``n_members`` models of ``config`` with consecutive seeds into one folder.

    Member ``i`` is trained with seed ``config.seed + i`` into ``run_dir/member-i``
    by :func:`mocap_seq2seq.model.training.train`. With ``resume``, members
    with final weights are kept, members with a checkpoint continue from it,
    and the rest start from step 0; a larger ``config.steps`` extends every member.

    Args:
        config: the TrainConfig of every member (its seed is the first member's).
        frames: ``(n_frames, n_input_channels)`` raw frames.
        run_dir: the ensemble folder (new, unless ``resume`` or ``overwrite``).
        n_members: how many models, ``1 .. MAX_MEMBERS``.
        resume: continue an ensemble folder (its own ``ensemble.json`` wins).
        overwrite: start afresh in an existing folder.
        on_member: called as ``on_member(index, n_members, member_dir)`` before each member.
        **train_options: passed to :func:`~mocap_seq2seq.model.training.train`
            (data, monitor, progress, log, root_columns, segment_bounds).
    """
    from mocap_seq2seq.model import training

    run = Path(run_dir)
    if resume:
        stored = read_ensemble(run)
        seeds = [int(seed) for seed in stored["seeds"]]
        names = list(stored["members"])
    else:
        seeds, names = start_ensemble(config, frames, run, n_members, overwrite=overwrite)
    results = []
    for index, (seed, name) in enumerate(zip(seeds, names)):
        member = run / name
        if on_member is not None:
            on_member(index, len(names), member)
        started = (member / training.CONFIG_FILE).is_file()
        finished = (member / training.WEIGHTS_FILE).is_file()
        if resume and finished and _stored_steps(member) >= config.steps:
            results.append(_finished_result(member))
            continue
        member_config = (
            training.read_run_config(member).config.replace(steps=config.steps)
            if resume and started
            else config.replace(seed=seed)
        )
        results.append(
            training.train(
                member_config,
                frames,
                member,
                resume=resume and started,
                overwrite=overwrite or (resume and not started),
                **train_options,
            )
        )
    return EnsembleResult(run, tuple(results))


def _stored_steps(member: Path) -> int:
    from mocap_seq2seq.model import training

    return int(training.read_run_config(member).config.steps)


def _finished_result(member: Path) -> Any:
    """A TrainResult for a member that had finished before a resume (no time spent)."""
    from mocap_seq2seq.model import training
    from mocap_seq2seq.model.run_folder import read_history

    stored = training.read_run_config(member)
    history = read_history(member, up_to_step=stored.config.steps)
    losses = [value for value in history["loss"] if value is not None]
    return training.TrainResult(
        run_dir=member,
        steps=stored.config.steps,
        final_loss=float(losses[-1]) if losses else float("nan"),
        seconds=0.0,
        history=history,
    )


@dataclass(frozen=True)
class Member:
    """One loaded predictor of a run: the model, its normalization and config.json."""

    model: Any
    normalization: Any
    stored: dict[str, Any]
    run_dir: Path


def load_members(run: str | os.PathLike[str], *, best: bool = False) -> list[Member]:
    """Every predictor of ``run``: one for a plain run folder, N for an ensemble.

    An unfinished member (no final weights) is a ModelFileError naming it,
    with the command that finishes the ensemble.
    """
    from mocap_seq2seq.model import training

    run = Path(run)
    folders = member_dirs(run)
    if len(folders) > 1 or is_ensemble(run):
        unfinished = [path for path in folders if not (path / training.WEIGHTS_FILE).is_file()]
        if unfinished:
            raise ModelFileError(
                f"The ensemble '{run}' is not finished: {len(unfinished)} of its "
                f"{len(folders)} members ({unfinished[0].name} first) have no final weights.",
                "an ensemble whose members all finished training",
                f"Finish it with `mocap train --resume {run}`.",
            )
    members = []
    for folder in folders:
        model, normalization, stored = training.load_run(folder, best=best)
        members.append(Member(model, normalization, stored, folder))
    return members
