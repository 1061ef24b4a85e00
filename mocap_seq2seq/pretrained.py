"""Pretrained models: small run folders plus one manifest saying how each was made.

``pretrained/manifest.json``::

    {"models": {"trial-01": {"folder": "trial-01", "kind": "trial", "trial": "01",
                             "train": {...TrainConfig of member 0...},
                             "ensemble": {"n_members": 3, "seeds": [0, 1, 2],
                                          "combination": "concat",
                                          "member_train_seconds": [44.7, 59.7, 71.4]},
                             "keras_backend": "...", "keras_version": "...",
                             "train_seconds": 175.8, "data_sha256": "...",
                             "weights_bytes": 3222480, "total_bytes": 3242600,
                             "metrics": {"automatic": {...}, "oracle": {...}}}, ...}}

Each folder holds what :func:`mocap_seq2seq.model.training.load_run` needs and no
more: ``config.json``, ``normalization.json``, ``model.weights.h5`` and
``history.json`` (the checkpoints and the ``.keras`` copy stay in the run).
A seed ensemble (:mod:`mocap_seq2seq.model.ensemble`; the shipped models are
ensembles of three) is exported as its ``ensemble.json`` and those four files
of each member, in ``member-<i>/``; its ``weights_bytes`` is the members' sum,
``total_bytes`` every file of the folder, ``train_seconds`` the members' sum.
A single model's entry has no ``ensemble`` field.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mocap_seq2seq.atomic import write_json
from mocap_seq2seq.errors import ModelFileError, NoFramesError, UnknownNameError, UsageError
from mocap_seq2seq.paths import resolve_pretrained_dir

if TYPE_CHECKING:
    from mocap_seq2seq.pipeline import Job

MANIFEST_FILE = "manifest.json"
EXPORTED_FILES = ("config.json", "normalization.json", "model.weights.h5", "history.json")
#: The case-(i) model trained on a concatenation of all eight actions.
ACTIONS_MODEL = "actions-all"
#: Subject-86 trials whose frames were lost upstream.
TRIALS_WITHOUT_FRAMES = ("02", "04", "06", "08")


def read_manifest(pretrained_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The manifest's ``models`` table (an empty table when there is no manifest yet)."""
    folder = resolve_pretrained_dir(pretrained_dir)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text())["models"])
    except (OSError, ValueError, KeyError) as error:
        raise ModelFileError(
            f"'{path}' is damaged ({error}).",
            "the manifest written by bench/train_pretrained.py",
            "Restore it from git or retrain the pretrained models.",
        ) from error


def trial_model_name(trial: str) -> str:
    return f"trial-{trial}"


def pretrained_folder(name: str, pretrained_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of one pretrained model, by manifest name."""
    models = read_manifest(pretrained_dir)
    if name not in models:
        if name.startswith("trial-") and name[6:] in TRIALS_WITHOUT_FRAMES:
            raise NoFramesError(
                f"No frames are available for trial {name[6:]} (only its ground truth is), "
                "so there is no model of it.",
                "a trial with frames",
                "Run `mocap info` to list them.",
            )
        valid = ", ".join(sorted(models)) or "none (pretrained/ is empty)"
        raise UnknownNameError(
            f"No pretrained model '{name}'.",
            f"one of {valid}",
            "Train one with `mocap train`, or run bench/train_pretrained.py.",
        )
    folder = resolve_pretrained_dir(pretrained_dir) / models[name]["folder"]
    missing = [
        str((member / file).relative_to(folder))
        for member in _member_dirs(folder)
        for file in EXPORTED_FILES[:3]
        if not (member / file).is_file()
    ]
    if missing:
        raise ModelFileError(
            f"The pretrained model '{name}' is incomplete: {', '.join(missing)} missing.",
            f"the files {', '.join(EXPORTED_FILES[:3])} in {folder}",
            "Restore pretrained/ from git or retrain it.",
        )
    return folder


def export_run(
    run_dir: str | os.PathLike[str],
    name: str,
    entry: dict[str, Any],
    pretrained_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Copy a finished run's essentials into ``pretrained/<name>`` and record it in the manifest.

    The folder is assembled beside ``pretrained/<name>`` and swapped in whole,
    so no file of an earlier export (a single model replaced by an ensemble)
    stays behind, and an interrupted export leaves the old folder in place.
    The manifest entry gets ``weights_bytes`` (the members' weights) and
    ``total_bytes`` (every file of the folder).
    """
    from mocap_seq2seq.model.ensemble import ENSEMBLE_FILE, is_ensemble

    root = resolve_pretrained_dir(pretrained_dir)
    target = root / name
    staging = root / f".{name}.exporting"
    retired = root / f".{name}.replaced"
    run = Path(run_dir)
    copies = [(run / file, staging / file) for file in EXPORTED_FILES]
    if is_ensemble(run):
        copies = [(run / ENSEMBLE_FILE, staging / ENSEMBLE_FILE)]
        for member in _member_dirs(run):
            copies += [(member / file, staging / member.name / file) for file in EXPORTED_FILES]
    for folder in (staging, retired):  # left by an export that was stopped
        if folder.exists():
            shutil.rmtree(folder)
    for origin, destination in copies:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    if retired.exists():
        shutil.rmtree(retired)
    models = read_manifest(root)
    models[name] = {
        **entry,
        "folder": name,
        "weights_bytes": sum(
            (member / "model.weights.h5").stat().st_size for member in _member_dirs(target)
        ),
        "total_bytes": sum(path.stat().st_size for path in target.rglob("*") if path.is_file()),
    }
    write_json(root / MANIFEST_FILE, {"models": dict(sorted(models.items()))})
    return target


def _member_dirs(folder: Path) -> list[Path]:
    from mocap_seq2seq.model.ensemble import member_dirs

    return member_dirs(folder)


def pretrained_source(name: str, pretrained_dir: str | os.PathLike[str] | None = None) -> Any:
    """The sequence a pretrained model was trained (and evaluated) on."""
    from mocap_seq2seq.data.sources import source_from_description

    folder = pretrained_folder(name, pretrained_dir)
    stored = json.loads((_member_dirs(folder)[0] / "config.json").read_text())
    return source_from_description(stored["data"])


def pretrained_metrics(
    name: str, pretrained_dir: str | os.PathLike[str] | None = None
) -> dict[str, dict[str, float]]:
    """Recompute a pretrained model's manifest metrics (automatic and oracle K, kernel)."""
    return run_metrics(pretrained_folder(name, pretrained_dir))


def run_metrics(run_dir: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """The manifest metrics of a run folder (one model or an ensemble) on its own sequence.

    The decoder states (an ensemble's combined by the default combination) are
    segmented by the toolkit's kernel segmenter, automatic and oracle K.
    """
    from mocap_seq2seq.data.sources import source_from_description
    from mocap_seq2seq.embedding import embed_members
    from mocap_seq2seq.model.ensemble import load_members
    from mocap_seq2seq.pipeline import segment_embedding

    members = load_members(run_dir)
    source = source_from_description(members[0].stored["data"])
    embedding = embed_members(
        members,
        source.frames,
        metadata={"name": source.name, "frame_rate": source.frame_rate},
        truth=source.truth,
    )
    automatic = segment_embedding(embedding, sequence=source.name)
    oracle = segment_embedding(automatic.embedding, oracle=True, sequence=source.name)
    return {
        result.k_mode: {
            **result.evaluation.scores,
            "boundary_f1": result.evaluation.boundary_f1,
            "n_clusters": result.n_clusters,
        }
        for result in (automatic, oracle)
        if result.evaluation is not None
    }


def demo_jobs(
    *,
    trial: str | None = None,
    actions: str | None = None,
    seed: int = 0,
    data_dir: str | os.PathLike[str] | None = None,
    pretrained_dir: str | os.PathLike[str] | None = None,
) -> tuple[str, list[Job]]:
    """What ``mocap demo`` segments, each sequence with its pretrained model, and the title.

    Args:
        trial: a subject-86 trial ("01", "1") or "all" (every trial with frames).
        actions: comma-separated case-(i) actions, concatenated twice each
            (once for a single action) in an order seeded by ``seed``.
        seed: seed of the concatenation.
        data_dir: the data folder.
        pretrained_dir: the pretrained models' folder.
    """
    from mocap_seq2seq.data.concatenation import parse_actions
    from mocap_seq2seq.data.sources import concatenation_source, trial_source
    from mocap_seq2seq.data.store import catalogue, normalize_trial
    from mocap_seq2seq.pipeline import Job

    if (trial is None) == (actions is None):
        raise UsageError(
            "Say what to segment with exactly one of --trial or --actions.",
            fix="For example `mocap demo --trial 01` or `mocap demo --actions walking,running`.",
        )
    if trial is not None:
        if trial.strip().lower() == "all":
            trials = [
                name for name, entry in catalogue(data_dir).trials.items() if entry["has_frames"]
            ]
        else:
            trials = [normalize_trial(trial)]
        jobs = [
            Job(
                f"trial {name}",
                trial_source(name, data_dir),
                pretrained_folder(trial_model_name(name), pretrained_dir),
            )
            for name in trials
        ]
        return f"mocap-seq2seq demo: trial {trial}", jobs
    names = parse_actions(actions or "", catalogue(data_dir).actions)
    source = concatenation_source(
        actions=names,
        n_pieces=2 * len(names) if len(names) > 1 else None,
        seed=seed,
        data_dir=data_dir,
    )
    jobs = [Job(source.name, source, pretrained_folder(ACTIONS_MODEL, pretrained_dir))]
    return f"mocap-seq2seq demo: actions {actions}", jobs
