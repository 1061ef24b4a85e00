"""The report of one segmented sequence, shared by `mocap demo` and `mocap segment`.

Embeds a sequence with a trained model, segments the decoder states (the
toolkit's kernel segmenter, automatic K; with ground truth also oracle K, the
paper's single linkage and the same segmenter on the raw poses, for
comparison), and draws the figures: segmentation bars and 3-D embedding,
training curves, the channels of formats without a skeleton, and with
``video`` an animation of the moving skeleton built from the data's own
skeleton (BVH, ASF/AMC, Human3.6M, CMU 38 joints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mocap_cli.console import console


@dataclass
class SequenceReport:
    """What one sequence adds to a report."""

    evaluations: list = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    automatic: Any = None  # the SegmentationResult of the default segmenter, automatic K


def report_sequence(
    name: str,
    source: Any,
    model: Any,
    normalization: Any,
    *,
    run_folder: Path | None,
    video: bool,
    target: Path,
) -> SequenceReport:
    """Embed, segment, score (when labels exist) and draw one sequence."""
    import numpy as np

    from mocap_cli.progress import window_progress
    from mocap_seq2seq.embedding import Embedding
    from mocap_seq2seq.pipeline import embed_and_segment, segment_embedding
    from mocap_seq2seq.report.figures import channel_heatmap, figure_to_png_bytes, training_curves
    from mocap_seq2seq.report.render import evaluation_png, prediction_png

    report = SequenceReport()
    with window_progress(f"embedding {name}") as progress:
        automatic = embed_and_segment(model, normalization, source, progress=progress)
    report.automatic = automatic
    embedding = automatic.embedding
    stem = name.replace(" ", "-").replace("+", "_").replace("/", "_")[:60]
    if source.labels is not None:
        oracle = segment_embedding(embedding, oracle=True, sequence=source.name)
        paper = segment_embedding(embedding, method="paper", oracle=True, sequence=source.name)
        raw = Embedding(
            states=normalization.transform(source.frames),
            filled=np.zeros(embedding.n_frames, bool),
            pca=embedding.pca,
            labels=embedding.labels,
            action_names=embedding.action_names,
            tolerance_windows=embedding.tolerance_windows,
        )
        raw_results = [
            segment_embedding(raw, oracle=flag, sequence=source.name) for flag in (False, True)
        ]
        report.evaluations = [result.evaluation for result in (automatic, oracle, paper)]
        report.evaluations += [
            type(result.evaluation)(**{**result.evaluation.to_dict(), "features": "raw poses"})
            for result in raw_results
        ]
        report.figures[f"{stem}-segmentation"] = evaluation_png(
            source.labels,
            automatic.frame_labels,
            embedding.pca,
            action_names=source.action_names,
            frame_rate=source.frame_rate,
            title=f"{name}: kernel segmenter on decoder states, automatic K",
        )
        report.captions[f"{stem}-segmentation"] = (
            f"{name}: true vs predicted actions (automatic K), and the decoder states' first "
            "3 principal components coloured by true and by predicted action."
        )
    else:
        report.figures[f"{stem}-segmentation"] = prediction_png(
            automatic.frame_labels,
            embedding.pca,
            frame_rate=source.frame_rate,
            title=f"{name}: kernel segmenter on decoder states, automatic K",
        )
        report.captions[f"{stem}-segmentation"] = (
            f"{name}: the clusters found without labels (automatic K), over time and on the "
            "decoder states' first 3 principal components."
        )
    if run_folder is not None and (run_folder / "history.json").is_file():
        history = json.loads((run_folder / "history.json").read_text())
        curves = {
            key: history[key]
            for key in ("step", "loss", "forecast_ratio", "monitor")
            if history.get(key)
            and len(history[key]) == len(history["step"])
            and any(value is not None for value in history[key])
        }
        report.figures["training"] = figure_to_png_bytes(training_curves(curves, title="training"))
        report.captions["training"] = (
            "Training loss, forecast error relative to repeating the last "
            "pose (below 1 = better), and the label-free monitor score."
        )
        if _skeleton_frames(source) is None:
            report.figures["channels"] = figure_to_png_bytes(
                channel_heatmap(
                    source.frames,
                    source.labels,
                    names=source.action_names,
                    frame_rate=source.frame_rate,
                    title=f"{name}: the {source.frames.shape[1]} exp-map channels",
                )
            )
            report.captions["channels"] = "The motion as it is: every channel over time."
            report.notes.append(
                "These frames come without a skeleton (bone offsets), so the motion is "
                "shown as its channels over time rather than as a moving figure."
            )
    if video:
        path = write_video(source, automatic.frame_labels, target, stem)
        report.notes.append(f"Animation: {path.name} in the report folder.")
    return report


def _skeleton_frames(source: Any) -> tuple[Any, Any] | None:
    """``(skeleton, frames)`` ready for forward kinematics, or None without a skeleton."""
    import numpy as np

    from mocap_seq2seq.motion.skeleton import cmu38_skeleton

    skeleton = source.skeleton
    frames = source.frames
    if skeleton is None and frames.shape[1] in (114, 117):
        skeleton = cmu38_skeleton()
    if skeleton is None or skeleton.expmap_columns is None:
        return None
    missing = skeleton.n_channels - frames.shape[1]
    if missing == 3 and skeleton.root_position_columns is not None:
        # root channels dropped: put them back at zero
        frames = np.concatenate([np.zeros((len(frames), 3), frames.dtype), frames], 1)
    elif missing > 0:
        return None
    return skeleton, frames


def write_video(source: Any, labels_pred: Any, target: Path, stem: str) -> Path:
    """An animation of the skeleton (or of the channels) over the action bars."""
    import matplotlib.animation

    from mocap_seq2seq.atomic import atomic_path
    from mocap_seq2seq.motion.skeleton import forward_kinematics, up_axis
    from mocap_seq2seq.report.figures import channel_animation, save_animation, skeleton_animation

    suffix = ".mp4" if matplotlib.animation.writers.is_available("ffmpeg") else ".gif"
    path = target / f"{stem}{suffix}"
    with console.status(f"Rendering {path.name}..."):
        found = _skeleton_frames(source)
        if found is not None:
            skeleton, frames = found
            positions = forward_kinematics(skeleton, frames)
            animation = skeleton_animation(
                positions,
                skeleton.parents,
                labels_true=source.labels,
                labels_pred=labels_pred,
                names=source.action_names or None,
                up_axis=up_axis(positions),
                title=source.name,
            )
        else:
            animation = channel_animation(
                source.frames,
                labels_true=source.labels,
                labels_pred=labels_pred,
                names=source.action_names or None,
                frame_rate=source.frame_rate,
                title=source.name,
            )
        target.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            save_animation(animation, temporary, dpi=60)
    console.print(f"[green]Wrote[/] {path}")
    return path
