"""Library code behind notebooks 04–06: result figures, ablations and the training exercises."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mict.course.analysis.probes import frame_vs_clip_scores  # noqa: E402
from mict.course.exercises import ExerciseFailed  # noqa: E402
from mict.course.exercises.training import (  # noqa: E402
    check_average_clips,
    check_differ,
    check_epoch_accuracy,
    check_stem_flops,
    check_top_k_correct,
)
from mict.course.viz.results import (  # noqa: E402
    plot_confusion,
    plot_learning_curves,
    prediction_gallery,
)
from mict.data import ClipDataset, uniform_clips  # noqa: E402
from mict.evaluate import clip_length_probabilities, evaluate, predict_probabilities  # noqa: E402
from mict.models import get_model  # noqa: E402
from mict.stats import paired_difference  # noqa: E402

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


def test_one_long_clip_and_k_clips_see_exactly_the_same_frames(prepared_root):
    """For each N both ways score the video's first N frames, looped when it is shorter: the long clip as
    one input, the K clips as a tiling of it. Decoding each video once must not change a probability."""
    torch.manual_seed(0)
    model = get_model("mict_resnet18", width=4, num_classes=3).eval()
    lengths = [4, 6, 24]  # the test videos have 16–20 frames: at 24 both ways loop them
    probabilities, labels = clip_length_probabilities(model, prepared_root, lengths, clip_frames=4,
                                                      videos_per_batch=3, progress=False, **SMALL)
    assert set(probabilities) == {(way, n) for way in ("long", "clips") for n in lengths}
    for n in lengths:
        sequences = ClipDataset(prepared_root, subset="test", frames=n, **SMALL)
        torch.testing.assert_close(probabilities["long", n], predict_probabilities(model, sequences, progress=False),
                                   atol=1e-5, rtol=1e-4)
        positions = [list(sample.indices) for sample in uniform_clips(n, 4, -(-n // 4))]
        assert sorted({i for p in positions for i in p}) == list(range(n))  # the K clips cover the sequence
        with torch.no_grad():
            expected = torch.stack([
                torch.stack([model(sequences[v][0][:, p].unsqueeze(0)).softmax(1)[0] for p in positions]).mean(0)
                for v in range(len(sequences))]).numpy()
        torch.testing.assert_close(probabilities["clips", n], expected, atol=1e-5, rtol=1e-4)
    within = ClipDataset(prepared_root, subset="test", frames=4, sampling="uniform", clips=2, span=6, **SMALL)
    torch.testing.assert_close(probabilities["clips", 6], predict_probabilities(model, within, progress=False),
                               atol=1e-5, rtol=1e-4)  # shorter than every video: no loop, as `evaluate` spreads them
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
        (check_differ, lambda a, b: not paired_difference(a, b).interval.contains(0),
         lambda a, b: abs(a.mean() - b.mean()) > 0.01),  # "any difference in the means is a difference"
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
