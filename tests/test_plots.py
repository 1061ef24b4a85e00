"""Figures: structure for small synthetic inputs, colour consistency, files and bytes written."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.animation import FuncAnimation, writers
from matplotlib.figure import Figure
from PIL import Image

from mocap_seq2seq.errors import BadDataError, UsageError
from mocap_seq2seq.motion.skeleton import cmu38_skeleton, forward_kinematics
from mocap_seq2seq.report import animation as moving
from mocap_seq2seq.report import figures as plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bar_colours(figure: Figure) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame RGB colours of the truth and prediction bars, ``(n_frames, 3)`` each."""
    truth, prediction = (np.asarray(ax.images[0].get_array())[0] for ax in figure.axes[:2])
    return truth, prediction


def chain_positions(n_frames: int = 10, n_joints: int = 4) -> np.ndarray:
    """A chain of joints one unit apart along y, swaying in x over time."""
    positions = np.zeros((n_frames, n_joints, 3))
    positions[:, :, 1] = np.arange(n_joints)
    positions[:, :, 0] = np.sin(np.linspace(0, 3, n_frames))[:, None] * np.arange(n_joints)
    return positions


# ----------------------------------------------------------------------------- matching


def test_match_clusters_to_actions_maximises_overlap():
    true = [0, 0, 0, 1, 1, 1, 2, 2]
    pred = [9, 9, 4, 4, 4, 4, 9, 7]
    # Overlaps: 9 with action 0 (2 frames), 4 with action 1 (3), 7 with action 2 (1).
    assert plots.match_clusters_to_actions(true, pred) == {4: 1, 7: 2, 9: 0}


def test_extra_clusters_stay_unmatched():
    assert plots.match_clusters_to_actions([0, 0, 1, 1], [0, 1, 2, 2]) == {0: 0, 2: 1}


# ----------------------------------------------------------------------------- segmentation bars


def test_segmentation_bars_structure_and_legend():
    figure = plots.segmentation_bars(
        [0] * 5 + [1] * 5, [3] * 4 + [8] * 6, action_names=["walk", "run"], title="case"
    )
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 2
    assert [len(ax.images) for ax in figure.axes] == [1, 1]
    legend_texts = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend_texts == ["walk", "run"]
    assert figure.axes[1].get_xlabel() == "frame"


def test_segmentation_bars_colours_agree_up_to_permutation():
    rng = np.random.default_rng(3)
    true = rng.integers(0, 5, size=60)
    permutation = np.array([4, 2, 0, 3, 1]) + 10
    truth, prediction = bar_colours(plots.segmentation_bars(true, permutation[true]))
    np.testing.assert_array_equal(truth, prediction)
    assert len({tuple(colour) for colour in truth}) == 5


def test_segmentation_bars_unmatched_cluster_gets_its_own_colour():
    true = [0, 0, 0, 1, 1, 1]
    pred = [5, 5, 6, 7, 7, 7]
    figure = plots.segmentation_bars(true, pred, cluster_names={5: "a", 6: "b", 7: "c"})
    truth, prediction = bar_colours(figure)
    np.testing.assert_array_equal(prediction[[0, 1, 3, 4, 5]], truth[[0, 1, 3, 4, 5]])
    assert not np.any(np.all(truth == prediction[2], axis=1))
    legend_texts = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend_texts == ["action 0", "action 1", "b (unmatched)"]


def test_segmentation_bars_seconds_axis():
    figure = plots.segmentation_bars([0, 0, 1, 1], [0, 0, 1, 1], frame_rate=2.0)
    assert figure.axes[1].get_xlabel() == "time (s)"
    assert figure.axes[0].images[0].get_extent()[1] == pytest.approx(2.0)


def test_segmentation_bars_refuses_mismatched_lengths_and_missing_names():
    with pytest.raises(UsageError, match="have 3 frames but the 'labels_true' have 4"):
        plots.segmentation_bars([0, 0, 1, 1], [0, 1, 1])
    with pytest.raises(UsageError, match="No name is given for action label 2"):
        plots.segmentation_bars([0, 2], [0, 1], action_names=["walk", "run"])


# ----------------------------------------------------------------------------- embeddings


def test_embedding_3d_one_scatter_per_label():
    points = np.random.default_rng(0).normal(size=(30, 3))
    figure = plots.embedding_3d(
        points, [0] * 10 + [1] * 10 + [2] * 10, names={0: "a", 1: "b", 2: "c"}
    )
    assert len(figure.axes) == 1
    assert figure.axes[0].name == "3d"
    assert len(figure.axes[0].collections) == 3


def test_embedding_panels_two_3d_axes_with_matched_colours():
    points = np.random.default_rng(1).normal(size=(12, 3))
    true = np.array([0] * 6 + [1] * 6)
    figure = plots.embedding_panels(points, true, 1 - true, action_names=["walk", "run"])
    assert [ax.name for ax in figure.axes] == ["3d", "3d"]
    left, right = (ax.collections for ax in figure.axes)
    assert len(left) == len(right) == 2
    # Cluster 1 holds the walk frames: it must be drawn in walk's colour.
    walk_colour = left[0].get_facecolor()[0]
    cluster_1 = right[1]
    np.testing.assert_allclose(cluster_1.get_facecolor()[0], walk_colour)
    texts = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert texts == ["cluster 0 (run)", "cluster 1 (walk)"]


def test_embedding_refuses_wrong_shapes():
    with pytest.raises(UsageError, match="principal_components"):
        plots.embedding_3d(np.zeros((5, 8)), [0] * 5)
    with pytest.raises(UsageError, match="have 4 frames"):
        plots.embedding_panels(np.zeros((5, 3)), [0] * 5, [0] * 4)
    with pytest.raises(BadDataError):
        plots.embedding_3d(np.full((2, 3), np.nan), [0, 1])
    with pytest.raises(UsageError, match="shape"):
        plots.embedding_3d(np.zeros((0, 3)), [])


def test_principal_components_reduce_and_order_by_variance():
    rng = np.random.default_rng(2)
    states = rng.normal(size=(200, 10)) * np.array([10, 5, 2, 1, 1, 1, 1, 1, 1, 1]) * 0.1
    projected = plots.principal_components(states)
    assert projected.shape == (200, 3)
    spread = projected.std(axis=0)
    assert spread[0] > spread[1] > spread[2]
    np.testing.assert_allclose(projected.mean(axis=0), 0.0, atol=1e-12)
    assert plots.principal_components(np.ones((4, 2))).shape == (4, 3)


# ----------------------------------------------------------------------------- training curves


def test_training_curves_loss_only_has_one_axes():
    figure = plots.training_curves({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.0]})
    assert len(figure.axes) == 1
    assert figure.axes[0].get_yscale() == "log"
    assert len(figure.axes[0].lines) == 1


def test_training_curves_monitor_and_ratio_on_second_axis():
    history = {
        "step": [0, 10, 20, 30],
        "loss": [1.0, 0.5, 0.4, 0.3],
        "val_loss": [1.1, 0.6, 0.5, 0.45],
        "monitor_score": [None, 0.2, None, 0.5],
        "zero_velocity_ratio": [1.4, 1.1, 0.9, 0.8],
    }
    figure = plots.training_curves(history, title="run")
    left, right = figure.axes
    assert len(left.lines) == 2
    assert len(right.lines) == 3  # two series and the baseline at 1
    monitor = right.lines[0]
    np.testing.assert_array_equal(monitor.get_xdata(), [10, 30])  # None steps skipped


def test_training_curves_refuses_bad_history():
    with pytest.raises(UsageError, match="no 'step'"):
        plots.training_curves({"loss": [1.0]})
    with pytest.raises(UsageError, match="has 2 values for 3 steps"):
        plots.training_curves({"step": [0, 1, 2], "loss": [1.0, 2.0]})


# ----------------------------------------------------------------------------- channel heat map


def test_channel_heatmap_axes_and_standardised_values():
    frames = np.random.default_rng(4).normal(size=(40, 5)) * [1, 10, 100, 0, 1] + 7
    figure = plots.channel_heatmap(frames, [0] * 20 + [1] * 20, names=["a", "b"])
    assert len(figure.axes) == 3  # heat map, colour bar, label bar
    shown = np.asarray(figure.axes[0].images[0].get_array())
    assert shown.shape == (5, 40)
    np.testing.assert_allclose(shown[[0, 1, 2, 4]].std(axis=1), 1.0)
    np.testing.assert_array_equal(shown[3], 0.0)  # the constant channel
    assert len(plots.channel_heatmap(frames).axes) == 2


def test_channel_heatmap_refuses_mismatched_labels():
    with pytest.raises(UsageError, match="'labels' have 3 frames but the 'frames' have 4"):
        plots.channel_heatmap(np.zeros((4, 2)), [0, 1, 1])


# ----------------------------------------------------------------------------- skeletons


def test_skeleton_figure_draws_one_line_per_bone_and_two_bars():
    positions = chain_positions(n_frames=6, n_joints=5)
    figure = moving.skeleton_figure(
        positions, [-1, 0, 1, 2, 3], frame=3, labels_true=[0] * 6, labels_pred=[1] * 6
    )
    assert len(figure.axes) == 3
    ax3d = figure.axes[0]
    assert ax3d.name == "3d" and len(ax3d.lines) == 4
    # Data y is up: it is drawn on the vertical (third) plot axis.
    x, y, z = ax3d.lines[-1].get_data_3d()
    np.testing.assert_allclose(z, [3.0, 4.0])
    np.testing.assert_allclose(x, [0.0, 0.0])
    np.testing.assert_allclose(y, positions[3, [3, 4], 0])
    cursor = figure.axes[1].lines[0]
    assert cursor.get_xdata()[0] == pytest.approx(3.5)


def test_skeleton_figure_of_real_skeleton_without_labels():
    skeleton = cmu38_skeleton()
    positions = forward_kinematics(skeleton, np.zeros((2, 117)))
    figure = moving.skeleton_figure(positions, skeleton.parents)
    assert len(figure.axes) == 1
    assert len(figure.axes[0].lines) == 37
    assert plots.figure_to_png_bytes(figure).startswith(PNG_SIGNATURE)


def test_skeleton_inputs_are_checked():
    with pytest.raises(UsageError, match=r"\(n_frames, n_joints, 3\)"):
        moving.skeleton_figure(np.zeros((3, 4)), [-1, 0, 1, 2])
    with pytest.raises(UsageError, match="do not describe a tree"):
        moving.skeleton_figure(chain_positions(), [-1, 2, 1, 2])
    with pytest.raises(UsageError, match="have 3 frames"):
        moving.skeleton_figure(chain_positions(), [-1, 0, 1, 2], labels_pred=[0, 1, 1])
    with pytest.raises(UsageError, match="out of range"):
        moving.skeleton_figure(chain_positions(), [-1, 0, 1, 2], frame=10)


def test_animation_writes_a_ten_frame_gif(tmp_path):
    animation = moving.skeleton_animation(
        chain_positions(n_frames=10),
        [-1, 0, 1, 2],
        labels_true=[0] * 5 + [1] * 5,
        labels_pred=[1] * 4 + [0] * 6,
        fps=10,
    )
    assert isinstance(animation, FuncAnimation)
    path = moving.save_animation(animation, tmp_path / "walk.gif", dpi=40)
    assert path == tmp_path / "walk.gif"
    with Image.open(path) as image:
        assert image.format == "GIF"
        assert image.n_frames == 10
        assert image.info["duration"] == 100


def test_animation_subsamples_long_sequences(tmp_path):
    animation = moving.skeleton_animation(chain_positions(n_frames=25), [-1, 0, 1, 2], max_frames=5)
    path = moving.save_animation(animation, tmp_path / "short.gif", dpi=30)
    with Image.open(path) as image:
        assert image.n_frames == 5


def test_save_animation_refuses_unknown_suffix(tmp_path):
    animation = moving.skeleton_animation(chain_positions(n_frames=2), [-1, 0, 1, 2])
    with pytest.raises(UsageError, match=r"\.gif"):
        moving.save_animation(animation, tmp_path / "walk.avi")
    moving.save_animation(animation, tmp_path / "ok.gif", dpi=20)  # rendered: no warning on exit
    assert not (tmp_path / "walk.avi").exists()


def test_mp4_needs_ffmpeg(tmp_path):
    animation = moving.skeleton_animation(chain_positions(n_frames=3), [-1, 0, 1, 2])
    if writers.is_available("ffmpeg"):
        path = moving.save_animation(animation, tmp_path / "walk.mp4", dpi=20)
        assert path.stat().st_size > 0
    else:
        with pytest.raises(UsageError, match="Install ffmpeg"):
            moving.save_animation(animation, tmp_path / "walk.mp4")
        moving.save_animation(animation, tmp_path / "walk.gif", dpi=20)


def test_figure_to_png_bytes_signature():
    data = plots.figure_to_png_bytes(plots.segmentation_bars([0, 1, 1], [1, 0, 0]), dpi=50)
    assert data.startswith(PNG_SIGNATURE)
