"""A training run's folder: its files, read back with validation, and its lock.

A run folder holds everything needed to use or continue a training::

    config.json          TrainConfig, model config, what data was learned, backend
    normalization.json   per-channel mean/std and the kept-channel mask
    checkpoint.json      points at the last good trainer state (step, file)
    checkpoint-<step>.state.h5   weights and optimizer state at that step
    history.json         loss, forecast error vs zero velocity, monitor score
    model.weights.h5     the predictor's final weights (+ model.keras)
    best.weights.h5      the weights with the best monitor score (keep_best)
    .mocap.lock          the kernel lock held by the process writing the run

Every file is written atomically (:mod:`mocap_seq2seq.atomic`) and
``checkpoint.json`` is replaced only after the state file it names is
complete, so a run killed at any moment keeps its last checkpoint. Every file
read back goes through :mod:`mocap_seq2seq.validation`: a damaged file is a
:class:`~mocap_seq2seq.errors.ModelFileError` (exit 1) that names itself,
never an ``AttributeError`` or a ``KeyError``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mocap_seq2seq.atomic import atomic_path, pause_for_tests, write_json
from mocap_seq2seq.errors import ModelFileError, UsageError
from mocap_seq2seq.model.windows import Normalization
from mocap_seq2seq.validation import Field, read_json_object

CONFIG_FILE = "config.json"
NORMALIZATION_FILE = "normalization.json"
CHECKPOINT_FILE = "checkpoint.json"
HISTORY_FILE = "history.json"
WEIGHTS_FILE = "model.weights.h5"
MODEL_FILE = "model.keras"
BEST_WEIGHTS_FILE = "best.weights.h5"
#: What a new run writes; ``--overwrite`` removes these (and the state files).
RUN_FILES = (CHECKPOINT_FILE, HISTORY_FILE, WEIGHTS_FILE, MODEL_FILE, BEST_WEIGHTS_FILE)
#: Columns of history.json: one entry per checkpoint in each.
HISTORY_KEYS = (
    "step",
    "loss",
    "mse",
    "forecast_mse",
    "zero_velocity_mse",
    "forecast_ratio",
    "monitor",
)

_RESTART = "Start a new run, or pass --overwrite to restart this one."


def _non_negative(value: int) -> str | None:
    return None if value >= 0 else f"is {value}, below 0"


def _state_file_name(value: str) -> str | None:
    if "/" in value or "\\" in value or not value.endswith(".state.h5"):
        return f"is '{value}', not the name of a checkpoint-<step>.state.h5 file in the run"
    return None


def _numbers_or_none(value: list) -> str | None:
    for item in value:
        ok = item is None or (
            isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item)
        )
        if not ok:
            return f"holds {item!r}, not a finite number"
    return None


def _section(schema: dict[str, tuple[type, ...]]) -> Any:
    """A check of a nested object of config.json: each field present has its type."""

    def check(value: dict[str, Any]) -> str | None:
        for key, types in schema.items():
            if key not in value:
                continue
            item = value[key]
            ok = any(
                (kind is type(None) and item is None)
                or (kind is bool and isinstance(item, bool))
                or (kind is not bool and isinstance(item, kind) and not isinstance(item, bool))
                for kind in types
            )
            if not ok:
                expected = " or ".join(kind.__name__ for kind in types)
                return f"has '{key}' = {json.dumps(item)}, not {expected}"
            if int in types and isinstance(item, int) and item < 0:
                return f"has '{key}' = {item}, below 0"
        return None

    return check


#: The fields of config.json's "data" (what was trained on) that are read back.
_DATA_SECTION: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "trial": (str,),
    "data_file": (str,),
    "data_sha256": (str,),
    "sequence": (str, type(None)),
    "recipe": (dict,),
    "frame_rate": (float, int),
}
#: The fields of config.json's "model" section (the network's shape).
_MODEL_SECTION: dict[str, tuple[type, ...]] = {
    "hidden_size": (int,),
    "n_channels": (int,),
    "source_length": (int,),
    "target_length": (int,),
    "residual": (bool,),
    "tied": (bool,),
}

CONFIG_SCHEMA = {
    "train": dict,
    "model": Field((dict,), check=_section(_MODEL_SECTION)),
    "data": Field((dict,), check=_section(_DATA_SECTION)),
    "frames_sha256": str,
    "n_frames": Field((int,), check=_non_negative),
    "monitor": Field((bool,), required=False),
    "keras_backend": Field((str,), required=False),
    "keras_version": Field((str,), required=False),
    "n_input_channels": Field((int,), required=False, check=_non_negative),
}
CHECKPOINT_SCHEMA = {
    "step": Field((int,), check=_non_negative),
    "file": Field((str,), check=_state_file_name),
}
HISTORY_SCHEMA = {key: Field((list,), check=_numbers_or_none) for key in HISTORY_KEYS}


def empty_history() -> dict[str, list[Any]]:
    return {key: [] for key in HISTORY_KEYS}


def read_config(run: Path) -> dict[str, Any]:
    """config.json of ``run``, checked field by field."""
    path = run / CONFIG_FILE
    if not path.is_file():
        raise ModelFileError(
            f"'{run}' is not a complete run folder ({CONFIG_FILE} is missing).",
            "a folder written by `mocap train`",
            "Pass the folder given to --output when training started.",
        )
    return read_json_object(path, CONFIG_SCHEMA, error=ModelFileError, fix=_RESTART)


def config_from_file(stored: dict[str, Any], run: Path, config_type: type) -> Any:
    """Build ``config_type`` (a TrainConfig) from config.json's "train" section.

    A bad value there is a damaged file (exit 1, naming it), not a bad
    command-line option: the user did not type it.
    """
    path = run / CONFIG_FILE
    known = {name for name in config_type.__dataclass_fields__}
    unknown = sorted(set(stored["train"]) - known)
    if unknown:
        raise ModelFileError(
            f"'{path}' is damaged or from a newer version: its train section has the "
            f"unknown field '{unknown[0]}'.",
            fix=_RESTART,
        )
    try:
        return config_type(**stored["train"])
    except UsageError as error:
        raise ModelFileError(f"'{path}' is damaged: {error}", fix=_RESTART) from None


def read_checkpoint(run: Path) -> dict[str, Any] | None:
    """checkpoint.json of ``run`` (step and state file), or None before the first checkpoint."""
    path = run / CHECKPOINT_FILE
    if not path.is_file():
        return None
    return read_json_object(path, CHECKPOINT_SCHEMA, error=ModelFileError, fix=_RESTART)


def checkpoint_step(run: Path) -> int | None:
    """The step of the last good checkpoint, or None (none yet, or unreadable)."""
    try:
        pointer = read_checkpoint(run)
    except ModelFileError:
        return None
    return None if pointer is None else int(pointer["step"])


def read_history(run: Path, up_to_step: int) -> dict[str, list[Any]]:
    """history.json of ``run``, without rows written after ``up_to_step``."""
    path = run / HISTORY_FILE
    history = read_json_object(path, HISTORY_SCHEMA, error=ModelFileError, fix=_RESTART)
    lengths = {len(history[key]) for key in HISTORY_KEYS}
    if len(lengths) != 1:
        raise ModelFileError(
            f"'{path}' is damaged: its columns have different lengths.", fix=_RESTART
        )
    keep = [i for i, step in enumerate(history["step"]) if step <= up_to_step]
    return {key: [history[key][i] for i in keep] for key in HISTORY_KEYS}


def write_checkpoint(run: Path, trainer: Any, step: int, history: dict[str, list[Any]]) -> None:
    """Write the trainer's state, then history.json, then move the pointer to it."""
    name = f"checkpoint-{step}.state.h5"
    with atomic_path(run / name) as temporary:
        trainer.save_state(temporary)
        # Test hook: hold the process here, the state written but not yet renamed.
        pause_for_tests("MOCAP_TEST_PAUSE_IN_CHECKPOINT")
    write_json(run / HISTORY_FILE, history)
    # The pointer moves only once the state it names is complete.
    write_json(run / CHECKPOINT_FILE, {"step": step, "file": name})
    for old in run.glob("checkpoint-*.state.h5"):
        if old.name != name:
            old.unlink(missing_ok=True)


def remove_run_files(run: Path) -> None:
    """Remove what a training wrote (for ``--overwrite`` and a restart from step 0)."""
    for name in RUN_FILES:
        (run / name).unlink(missing_ok=True)
    for old in run.glob("checkpoint-*.state.h5"):
        old.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredRun:
    """What config.json says of a run: enough to resume it."""

    config: Any
    data: dict[str, Any]
    monitor: bool
    raw: dict[str, Any]


def read_run(run: str | Path, config_type: type) -> StoredRun:
    """Read and check config.json of a run folder; the config as ``config_type``."""
    run = Path(run)
    stored = read_config(run)
    return StoredRun(
        config=config_from_file(stored, run, config_type),
        data=stored["data"],
        # Runs written before the flag was recorded were trained with the monitor.
        monitor=stored.get("monitor", True),
        raw=stored,
    )


def read_state_pointer(run: Path) -> Path:
    """The state file named by checkpoint.json (which must exist)."""
    pointer = read_checkpoint(run)
    if pointer is None:
        raise ModelFileError(f"'{run}' has no checkpoint.", fix=_RESTART)
    return run / pointer["file"]


def read_normalization(run: Path) -> Normalization:
    """normalization.json of ``run``: per-channel mean, std and kept-channel mask."""
    path = run / NORMALIZATION_FILE
    content = read_json_object(
        path,
        {"mean": list, "std": list, "keep": list, "velocity_columns": Field((list,), False)},
        error=ModelFileError,
        fix=_RESTART,
    )
    try:
        normalization = Normalization.from_dict(content)
    except (TypeError, ValueError) as error:
        raise ModelFileError(
            f"'{path}' is damaged: its arrays are not numbers ({error}).", fix=_RESTART
        ) from None
    sizes = {normalization.mean.shape, normalization.std.shape, normalization.keep.shape}
    if len(sizes) != 1 or normalization.mean.ndim != 1:
        raise ModelFileError(
            f"'{path}' is damaged: mean, std and keep are not lists of one length.", fix=_RESTART
        )
    return normalization
