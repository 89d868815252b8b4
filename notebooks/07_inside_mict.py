# %% [markdown]
# # 07 · Inside a trained MiCT-ResNet-18
#
# *Study time: about 40 minutes. Nothing new is trained: the models come from notebook 04's cache.*
#
# Notebooks 04–06 measured *how well* MiCT-ResNet-18 classifies the synthetic motions. This one
# opens the trained network and asks *how*: which tubes' 3D branches it relies on, how loud its
# 3D branches are next to its 2D ones, what its first 3D kernels look like, what it answers when
# the frames of a clip are reversed or shuffled, and where it still goes wrong.
#
# **Learning goals**
#
# * switch a trained network's 3D branches off one tube at a time, and read the accuracy lost;
# * compare the size of the 3D and 2D branches' outputs in every tube;
# * read learned spatio-temporal filters;
# * test a model's reliance on frame order directly, class by class;
# * read a confusion matrix for *why* two classes are confused;
# * predict any video file from the command line, step by step (`mict predict`).

# %% tags=["parameters"]
PROFILE = "quick"  # "full": the same on UCF-101
RETRAIN = False  # True: train again instead of reusing build/runs
FIGURES_ONLY = False  # True: never train, only redraw figures from cached runs
SEED = 0  # the shuffled frame orders

# %%
import pandas as pd
from IPython.display import display

from mict.course import Results, get_run, settings
from mict.course.analysis.inside import (
    SplitClips,
    accuracy_by_frame_order,
    accuracy_without_3d_branches,
    branch_norms,
    first_kernels,
    most_confused,
)
from mict.course.viz import inside as viz
from mict.course.viz import save_figure
from mict.course.viz.results import plot_confusions, plot_learning_curves
from mict.course.widgets.inside import StepProbabilityWidget
from mict.data import ClipDataset
from mict.evaluate import evaluate

course = settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
results = Results("07_inside_mict", PROFILE)
config = course.train_config()
mict_run = get_run(config, course)
frame_run = get_run(course.train_config(model="frame_resnet18"), course)
model = mict_run.load_model()
test = SplitClips.load(course.data_root, split=config.split, frames=config.frames, crop_size=config.crop_size,
                       base_size=config.base_size)
print(f"MiCT-ResNet-18 from {mict_run.run_dir}; {len(test.labels)} test clips of {config.frames} frames")

# %% [markdown]
# ## 1 · What each tube's 3D branch contributes
#
# MiCT-ResNet-18 has five tubes: the stem and the first block of each stage. Switching a tube's 3D
# branch off at test time (`use_3d = False`) leaves its 2D branch and everything after it as
# trained, so the accuracy lost is that branch's contribution to *this* trained network (the
# network was not trained to do without it, so this is not the accuracy of a network trained
# without that branch: notebook 04's baseline is).
#
# *Predict first:* which tube's 3D branch will cost the most accuracy when it is switched off: the
# stem's, which sees the raw frames at full resolution, or a later one?

# %%
ablation = accuracy_without_3d_branches(model, test)
results.record("all_branches_top1", ablation["top1"].iloc[0])
results.record("no_branch_top1", ablation["top1"].iloc[-1])
save_figure(viz.plot_branch_ablation(ablation), "07_branch_ablation")
ablation.round(1)

# %% [markdown]
# Read the table from the top: the first row is the trained network, the last has no 3D branch
# left, which is MiCT's 2D path with the trained 2D weights. The rows between say which single
# branch the network leans on: the larger the points lost, the more that tube's 3D branch carries
# the motion signal the classifier uses. (One trained network, one seed: notebook 05's intervals
# are the reminder that single runs vary.)
#
# ## 2 · How loud are the branches?
#
# Each tube sums a 3D and a 2D branch. Their outputs' root mean square, on the test clips, shows
# how the trained network balances them, tube by tube (each tube sees the input the trained
# network gives it).

# %%
norms = branch_norms(model, test.clips[:64])
save_figure(viz.plot_branch_norms(norms), "07_branch_norms")
norms.round(3)

# %% [markdown]
# A ratio (last column) near 1 means the two branches are equally loud in the sum; far below 1,
# the 2D branch dominates and the 3D branch adds a correction; above 1, the 3D branch dominates.
# Compare with section 1: a loud branch is not necessarily an important one.
#
# ## 3 · The first 3D kernels, as spatio-temporal filters
#
# The stem's 3D convolution has one k×7×7×3 kernel per output channel (k = 7 frames here). Each row
# below is one kernel, frame by frame; grey is zero, colours show the sign and hue of the weights.
# A kernel that looks the same in every frame responds to what a frame shows; one whose pattern
# *moves* or *changes sign* from frame to frame responds to change: an edge that moves, a colour
# that appears.

# %%
kernels = first_kernels(model)
save_figure(viz.plot_first_kernels(kernels, count=8), "07_first_kernels")
change = (kernels[:, 1:] - kernels[:, :-1]).abs().mean(dim=(1, 2, 3, 4)) / kernels.abs().mean(dim=(1, 2, 3, 4))
pd.DataFrame({"kernel": range(len(change)), "frame-to-frame change / mean weight": change.numpy()}).round(2).T

# %% [markdown]
# ## 4 · The same frames in another order
#
# If the network has learned motion, reversing a clip should turn *MoveLeft* into *MoveRight* and
# *ZoomIn* into *ZoomOut*, and shuffling the frames should break every motion class; a bag of frames
# (the frame ResNet) cannot tell any of these apart. Class by class:
#
# *Predict first:* which classes will survive shuffling? (Think about which motions leave a trace in
# a single frame's *set* of positions and angles.)

# %%
order = accuracy_by_frame_order(model, test, seed=SEED)
save_figure(viz.plot_frame_order(order), "07_frame_order")
by_order = order.pivot(index="class", columns="order", values="top1")[["as recorded", "reversed", "shuffled"]]
results.record("reversed_top1", order.loc[order["order"] == "reversed", "top1"].mean())
results.record("shuffled_top1", order.loc[order["order"] == "shuffled", "top1"].mean())
by_order.round(1)

# %% [markdown]
# Reversal maps every directed motion onto its opposite class (MoveLeft onto MoveRight, ZoomIn onto
# ZoomOut, one rotation onto the other), so a model that reads the direction of motion should score
# near zero on those classes reversed, while classes that are their own reverse (a swing or a bounce
# seen backwards is still a swing or a bounce) can keep their accuracy: compare the table's first
# two columns class by class. Shuffling destroys the order but not the set of frames: whatever
# survives shuffling was recognised without the order.
#
# ## 5 · Where MiCT still goes wrong
#
# The test confusion matrix of MiCT-ResNet-18 beside the frame ResNet's, and MiCT's most frequent
# confusions:

# %%
test_options = dict(split=config.split, frames=config.frames, crop_size=config.crop_size,
                    base_size=config.base_size, progress=False)
mict_test = evaluate(model, course.data_root, **test_options)
frame_test = evaluate(frame_run.load_model(), course.data_root, **test_options)
fig = plot_confusions({"MiCT-ResNet-18": mict_test.confusion, "frame ResNet-18": frame_test.confusion})
save_figure(fig, "07_confusions")
most_confused(mict_test.confusion, count=6).round(1)

# %% [markdown]
# Read MiCT's confusions as pairs of motions: a confusion between a class and its *opposite*
# (MoveLeft/MoveRight, ZoomIn/ZoomOut, the two rotations) means the network saw the right kind of
# motion but not its direction; one between unrelated motions means it saw too little motion in
# those 16 frames (a slow or short movement). The frame ResNet's matrix has hardly a diagonal.
#
# And the frame ResNet's learning curves, beside MiCT's: its *training* accuracy climbs while its
# validation accuracy stays at chance. It memorises the training groups' scenes (background, shape,
# colour), which no validation group shares: notebook 01's group leak, seen from inside a model.

# %%
fig = plot_learning_curves({"MiCT-ResNet-18": mict_run.history, "frame ResNet-18": frame_run.history})
save_figure(fig, "07_frame_resnet_memorises")
last = frame_run.history.iloc[-1]
results.record("frame_train_minus_val_points", last["train_top1"] - last["val_top1"])
print(f"frame ResNet-18, last epoch: training top-1 {last['train_top1']:.1f}%, validation {last['val_top1']:.1f}%")

# %% [markdown]
# ## 6 · Step by step, with branches switched on and off
#
# MiCT averages its classifier's logits over the time steps that reach it. The widget scores one
# whole test video (every frame, one long clip) and shows the probability of the leading classes
# at each time step; untick a tube's 3D branch to see how the network's belief changes without it.
# (Below, the default state as a static figure.)

# %%
videos = ClipDataset(course.data_root, split=config.split, subset="test", frames=None, sampling="first",
                     crop_size=config.crop_size, base_size=config.base_size)
widget = StepProbabilityWidget(model, videos)
display(widget)
save_figure(widget.render_default(), "07_widget_default")

# %% [markdown]
# The same computation runs from the command line on any video file PyAV can read, prepared as a
# test video is (the frame height the model was trained on, the centre crop):
#
# ```bash
# mict predict path/to/video.mp4 --checkpoint build/runs/<run>/best.pt --csv steps.csv
# ```
#
# It prints the top-5 classes and their probability at each time step, and `--csv` writes every
# class's probability at every step.

# %%
video = course.raw_root / "UCF-101" / f"{videos.videos['video'].iloc[0]}.avi"
print(f"$ mict predict {video.relative_to(course.raw_root.parent)} --checkpoint …/best.pt --top 3")
from mict.cli import main  # noqa: E402 - shown where it is used

main(["predict", str(video), "--checkpoint", str(mict_run.best_checkpoint), "--top", "3"])

# %% [markdown]
# ## Where MiCT stands
#
# MiCT is one answer to a question every video network answers: where to spend 3D computation.
# Facts about its neighbours, from their papers:
#
# * **C3D** (Tran et al., ICCV 2015) and **3D-ResNet** (Hara, Kataoka and Satoh, CVPR 2018) make every
#   convolution 3D: this course's 3D-ResNet-18 is Hara et al.'s.
# * **I3D** (Carreira and Zisserman, CVPR 2017) *inflates* an ImageNet 2D network into 3D
#   (notebook 03's inflation), every k×k kernel becoming k×k×k.
# * **R(2+1)D** (Tran et al., CVPR 2018) factorises each 3D convolution into a 2D spatial one and a 1D
#   temporal one (torchvision's `r2plus1d_18`, measured in notebook 03); the same paper's **MC**
#   networks (`mc3_18`) keep 3D convolutions in the early layers only.
# * **S3D** (Xie et al., ECCV 2018) finds that 3D convolutions are worth more in the top layers than in
#   the bottom ones, and separates space and time as well.
# * **TSM** (Lin, Gan and Han, ICCV 2019) adds no 3D convolution at all: it shifts a part of the
#   channels one step forward or backward in time inside a 2D network.
# * **SlowFast** (Feichtenhofer et al., ICCV 2019) runs two pathways, a slow one at a low frame rate
#   with many channels and a fast one at a high frame rate with few, joined by lateral connections.
# * **X3D** (Feichtenhofer, CVPR 2020) grows a small 2D network along several axes (frames, frame rate,
#   resolution, width, depth) one at a time, to find efficient 3D networks.
#
# MiCT (Zhou et al., CVPR 2018) keeps a 2D network whole and adds a 3D branch *beside* a few of its
# blocks, summing the two: the 3D computation is concentrated where the tubes are, and the 2D path
# keeps its (ImageNet) weights. Where our measurements speak to this design, they are in notebooks
# 03 (costs), 04 (what the branches buy) and 05 (the first kernel).
#
# ## Recap
#
# * Switching a trained tube's 3D branch off measures what the trained network gets from it; the
#   baseline trained without 3D branches (notebook 04) measures what 3D branches buy at all.
# * Branch norms say how loud a branch is, not how important: compare with the ablation.
# * Reversing and shuffling frames tests reliance on order directly, class by class.
# * The frame ResNet's training accuracy climbs on memorised scenes while validation stays at chance.
#
# ## Check your understanding
#
# 1. Why is "switch the stem's 3D branch off at test time" a different question from "train MiCT
#    without a 3D stem"?
# 2. A class keeps its accuracy when its clips are reversed. What does that say about the class?
# 3. Which of SlowFast, TSM and I3D changes the 2D network least, and how does MiCT compare?
#
# <details><summary>Answers</summary>
#
# 1. The trained network's other layers adapted to the stem's 3D branch being there; a network
#    trained without it would adapt to its absence. The first measures reliance, the second value.
# 2. Its motion looks the same backwards (a swing, a bounce): its frames' order in one direction is
#    as likely as in the other.
# 3. TSM: it only shifts channels in time inside an unchanged 2D network. MiCT keeps the 2D network
#    whole too, but adds 3D branches beside it; I3D replaces every 2D kernel by a 3D one.
#
# </details>
#
# This is the last notebook of the course.
