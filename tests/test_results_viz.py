"""Library code behind notebooks 04–06: result figures, ablations and the training exercises."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mict.ablation import (  # noqa: E402
    Variant,
    architecture_costs,
    clip_length_curve,
    clip_length_probabilities,
    temporal_steps,
)
from mict.data import ClipDataset  # noqa: E402
from mict.evaluate import evaluate, predict_probabilities  # noqa: E402
from mict.exercises import ExerciseFailed  # noqa: E402
from mict.exercises.training import (  # noqa: E402
    check_average_clips,
    check_epoch_accuracy,
    check_stem_flops,
    check_top_k_correct,
)
from mict.models import get_model  # noqa: E402
from mict.viz.results import (  # noqa: E402
    frame_vs_clip_scores,
    plot_clip_length,
    plot_confusion,
    plot_kernel_ablation,
    plot_learning_curves,
    prediction_gallery,
)

SMALL = dict(crop_size=32, base_size=36)


def test_learning_curves_draw_train_and_validation_for_each_run():
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.0], "val_loss": [2.1, 1.2],
                            "train_top1": [10.0, 50.0], "val_top1": [12.0, 40.0]})
    fig = plot_learning_curves({"a": history, "b": history})
    assert len(fig.axes) == 2 and all(len(ax.lines) == 4 for ax in fig.axes)


def test_confusion_is_shown_as_row_percentages():
    confusion = pd.DataFrame([[3, 1], [0, 2]], index=["x", "y"], columns=["x", "y"])
    fig = plot_confusion(confusion, "t")
    labels = [text.get_text() for text in fig.axes[0].texts]
    assert labels == ["75", "25", "0", "100"]


def test_prediction_gallery_and_reversed_clips(prepared_root):
    torch.manual_seed(0)
    dataset = ClipDataset(prepared_root, subset="test", frames=8, **SMALL)
    model = get_model("mict_resnet18", width=4, num_classes=3).eval()
    predictions = evaluate(model, prepared_root, frames=8, progress=False, **SMALL).predictions
    fig = prediction_gallery(dataset, predictions, [0, 1], frames_shown=3)
    assert len(fig.axes) == 2 * 4
    mict_scores = frame_vs_clip_scores(model, dataset, 0)
    frame_scores = frame_vs_clip_scores(get_model("frame_resnet18", width=4, num_classes=3), dataset, 0)
    assert list(mict_scores.index) == dataset.classes
    assert mict_scores["forwards"].sum() == pytest.approx(100, abs=1e-3)
    torch.testing.assert_close(torch.tensor(frame_scores["forwards"].to_numpy()),
                               torch.tensor(frame_scores["backwards"].to_numpy()))
    assert not mict_scores["forwards"].equals(mict_scores["backwards"])


def test_ablation_figures():
    ours = pd.DataFrame({"label": ["a", "b"], "test_top1": [90.0, 80.0], "cpu_fps": [100.0, 40.0]})
    reference = pd.DataFrame({"label": ["a", "b"], "top1": [63.3, 61.8], "fps": [1981, 644]})
    assert len(plot_kernel_ablation(ours, reference).axes) == 2
    curves = pd.DataFrame({"model": ["v1"] * 4, "method": ["long", "long", "clips", "clips"],
                           "frames": [16, 32, 16, 32], "top1": [80.0, 85.0, 80.0, 83.0]})
    lengths = pd.DataFrame({"model": ["m18", "m18"], "frames": [16, 300], "top1": [65.8, 69.3]})
    assert len(plot_clip_length(curves, lengths).axes) == 2


def test_clip_length_curve_and_costs(prepared_root):
    assert [temporal_steps(n, 16) for n in (1, 16, 17, 100)] == [1, 1, 2, 7]
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=4, num_classes=3)
    curve = clip_length_curve(model, prepared_root, [4, 8], label="m", clip_frames=4, progress=False, **SMALL)
    assert list(curve["frames"]) == [4, 4, 8, 8]
    assert set(curve["method"]) == {"one long clip", "K 4-frame clips averaged"}
    first = curve[curve["frames"] == 4]["top1"]
    assert first.iloc[0] == first.iloc[1]  # one 4-frame clip either way
    costs = architecture_costs([Variant("tiny", "mict_resnet18", {"width": 4, "temporal_kernel": 3})],
                               frames=4, size=32, runs=1, warmup=0)
    assert list(costs.columns) == ["label", "params_millions", "gflops", "cpu_fps", "cpu_memory_mb"]
    assert costs["cpu_fps"].iloc[0] > 0


def test_clip_length_probabilities_match_evaluating_each_length_on_its_own(prepared_root):
    """Decoding each video once for every length must not change a single probability."""
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=4, num_classes=3).eval()
    lengths = [4, 6, 24]  # the test videos have 16–20 frames: at 24 the long clip loops them
    probabilities, labels = clip_length_probabilities(model, prepared_root, lengths, clip_frames=4,
                                                      videos_per_batch=3, progress=False, **SMALL)
    assert set(probabilities) == {(way, n) for way in ("long", "clips") for n in lengths}
    for n in lengths:
        long = predict_probabilities(model, ClipDataset(prepared_root, subset="test", frames=n, **SMALL),
                                     progress=False)
        clips = ClipDataset(prepared_root, subset="test", frames=4, sampling="uniform", clips=-(-n // 4), span=n,
                            **SMALL)
        torch.testing.assert_close(probabilities["long", n], long, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(probabilities["clips", n], predict_probabilities(model, clips, progress=False),
                                   atol=1e-5, rtol=1e-4)
    assert list(labels) == list(ClipDataset(prepared_root, subset="test", frames=4, **SMALL).labels)


@pytest.mark.parametrize(
    "check, solution, wrong",
    [
        (check_top_k_correct, lambda x, y, k: int((x.topk(k, 1).indices == y[:, None]).any(1).sum()),
         lambda x, y, k: int((x.argmax(1) == y).sum())),
        (check_epoch_accuracy, lambda b: 100 * sum(c for c, _ in b) / sum(n for _, n in b),
         lambda b: 100 * sum(c / n for c, n in b) / len(b)),
        (check_stem_flops, lambda k, t, h, w, c: 2 * c * 3 * k * 49 * t * (h // 2) * (w // 2),
         lambda k, t, h, w, c: c * 3 * k * 49 * t * h * w),
        (check_average_clips, lambda x: int(x.softmax(1).mean(0).argmax()), lambda x: int(x.mean(0).argmax())),
    ],
)
def test_training_exercise_checks(check, solution, wrong):
    assert check(solution, strict=True).passed
    result = check(wrong)
    assert not result.passed and result.attempted and result.messages
    assert "expected" in str(result)
    with pytest.raises(ExerciseFailed):
        check(wrong, strict=True)
    unfinished = check(lambda *args: None)
    assert not unfinished.attempted and "not attempted" in str(unfinished)


def test_the_averaged_accuracy_hint():
    result = check_epoch_accuracy(lambda b: 100 * sum(c / n for c, n in b) / len(b))
    assert any("per-batch accuracies" in m for m in result.messages)
