"""Notebook 07's analysis of trained models: branches switched off, branch norms, frame order, steps."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from mict.course.analysis.inside import (  # noqa: E402
    SplitClips,
    accuracy_by_frame_order,
    accuracy_without_3d_branches,
    branch_norms,
    branches_switched_off,
    first_kernels,
    most_confused,
    reorder,
    step_probabilities,
)
from mict.course.viz import inside as viz  # noqa: E402
from mict.models import get_model  # noqa: E402

SMALL = dict(crop_size=32, base_size=36)


@pytest.fixture(scope="module")
def split_clips(prepared_root):
    return SplitClips.load(prepared_root, frames=8, **SMALL)


def mict(seed=0):
    torch.manual_seed(seed)
    return get_model("mict_resnet18", width=4, num_classes=3).eval()


def test_switching_branches_off_is_undone_afterwards(split_clips):
    model = mict()
    with torch.no_grad():
        before = model(split_clips.clips[:2])
        with branches_switched_off(model, ["stem", "layer3"]):
            assert [t.use_3d for t in model.tubes().values()] == [False, True, True, False, True]
            assert not torch.equal(model(split_clips.clips[:2]), before)
        assert torch.equal(model(split_clips.clips[:2]), before)


def test_the_branch_ablation_table_and_its_figure(split_clips):
    table = accuracy_without_3d_branches(mict(), split_clips)
    assert list(table["model"]) == ["every 3D branch", *(f"without {t}'s" for t in
                                                         ("stem", "layer1", "layer2", "layer3", "layer4")),
                                    "without any 3D branch"]
    assert table["points lost"].iloc[0] == 0 and list(table["tubes switched off"]) == [0, 1, 1, 1, 1, 1, 5]
    assert len(viz.plot_branch_ablation(table).axes[0].patches) == 7


def test_branch_norms_measure_each_tube_on_the_input_the_network_gives_it(split_clips):
    table = branch_norms(mict(), split_clips.clips[:4])
    assert list(table["tube"]) == ["stem", "layer1", "layer2", "layer3", "layer4"]
    assert (table[["3D branch RMS", "2D branch RMS"]] > 0).all().all()
    assert table["3D / 2D"].tolist() == pytest.approx((table["3D branch RMS"] / table["2D branch RMS"]).tolist())


def test_reordering_frames(split_clips):
    clips = split_clips.clips[:3]
    assert torch.equal(reorder(reorder(clips, "reversed"), "reversed"), clips)
    shuffled = reorder(clips, "shuffled", seed=1)
    assert torch.equal(shuffled.sort(dim=2).values, clips.sort(dim=2).values) and not torch.equal(shuffled, clips)
    with pytest.raises(ValueError, match="order must be"):
        reorder(clips, "sideways")


def test_a_frame_model_answers_the_same_whatever_the_frame_order(split_clips):
    torch.manual_seed(0)
    frame = get_model("frame_resnet18", width=4, num_classes=3)
    table = accuracy_by_frame_order(frame, split_clips).pivot(index="class", columns="order", values="top1")
    assert (table["as recorded"] == table["reversed"]).all() and (table["as recorded"] == table["shuffled"]).all()
    assert set(table.index) == set(split_clips.classes)


def test_most_confused_pairs_are_the_largest_off_diagonal_shares():
    confusion = pd.DataFrame([[8, 2, 0], [5, 5, 0], [0, 1, 9]], index=pd.Index(["a", "b", "c"], name="true"),
                             columns=pd.Index(["a", "b", "c"], name="predicted"))
    top = most_confused(confusion, count=2)
    assert list(zip(top["true"], top["predicted"], strict=True)) == [("b", "a"), ("a", "b")]
    assert top["% of the true class"].tolist() == [50.0, 20.0]


def test_step_probabilities_and_the_widget(prepared_root, split_clips):
    from mict.course.widgets.inside import StepProbabilityWidget
    from mict.data import ClipDataset

    model = mict()
    probabilities = step_probabilities(model, split_clips.clips[0])
    assert probabilities.shape == (1, 3) and probabilities.sum() == pytest.approx(1, abs=1e-5)
    dataset = ClipDataset(prepared_root, subset="test", frames=None, sampling="first", **SMALL)
    widget = StepProbabilityWidget(model, dataset)
    default = widget.update()
    widget.controls["layer1"].value = False
    assert widget.last_values["layer1"] is False and widget.last_figure is not default
    assert first_kernels(model).shape == (4, 7, 7, 7, 3)
    assert len(viz.plot_first_kernels(first_kernels(model), count=3).axes) == 3 * 7
