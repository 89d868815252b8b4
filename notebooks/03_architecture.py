# %% [markdown]
# # 03 · The architecture: from 2D and 3D convolutions to the Mixed Convolutional Tube
#
# The Mixed 3D/2D Convolutional Tube (MiCT; Zhou, Sun, Zha and Zeng, CVPR 2018) puts a 3D
# convolution *beside* a 2D one and sums the two branches: the 2D network sees appearance frame by
# frame, the 3D branch adds what a single frame cannot show, motion. The paper builds its MiCT-Net on
# an Inception-style 2D backbone. This course follows **the original**, as we call it throughout:
# Florent Mahoudeau's MiCT-Net-PyTorch, which places the tubes on a **ResNet** backbone, beside the
# stem and the first block of each stage (its code, its recipe, and the numbers its README reports,
# in `data/reference`). This notebook takes that network apart, shape by shape, and measures what it
# costs.
#
# *Study time: about 60 minutes, exercises included.*
#
# **Learning goals.** After this notebook you can
#
# 1. say what a 2D and a 3D convolution see of a clip, and count their outputs and parameters;
# 2. fold the time axis of a clip into the batch and back, and explain why MiCT's 2D layers then
#    see one frame at a time, and why a channels-last layout makes the fold free;
# 3. draw a Mixed Convolutional Tube: its 3D branch, its 2D branch, their sum (the cross-domain
#    residual), and the end-only temporal padding that keeps both at ceil(T/s) steps for any T;
# 4. trace the shape of a clip through MiCT-ResNet-18 (v1 and v2) for any clip length;
# 5. compare parameters, FLOPs and CPU frames/s of seven video networks, and explain why FLOPs
#    alone do not predict speed;
# 6. explain ImageNet transfer: copied 2D weights (MiCT) against inflated 3D weights (3D-ResNet).
#
# Nothing is trained here: every network has random (or ImageNet) weights, and everything shown is
# the code of `mict.models` that notebooks 04–06 train.

# %% tags=["parameters"]
PROFILE = "quick"  # "full": same content; this notebook trains nothing and reads no dataset
RETRAIN = False  # unused here: this notebook trains nothing
FIGURES_ONLY = False  # unused here: every figure is computed in seconds
SEED = 0  # the random weights of every network below
BENCH_RUNS = 3  # timed forward passes per model (after BENCH_WARMUP untimed ones)
BENCH_WARMUP = 1
TORCHVISION_RUNS = 1  # torchvision's mc3_18 and r2plus1d_18 take seconds per clip on a CPU
DOWNLOAD_IMAGENET = False  # True: download ImageNet ResNet-18 weights (45 MB) when not cached

# %%
import statistics

import pandas as pd
import torch
import torch.nn.functional as F
from IPython.display import display
from torch import nn

import mict.course
from mict import reference
from mict.bench import (
    add_relative_fps,
    benchmark_model,
    benchmark_models,
    format_table,
    matmul_rate,
    measure_latency,
)
from mict.course.analysis.trace import (
    distance_from_the_2d_network,
    flops_by_layer,
    inflation_gap,
    random_resnet_2d_state_dict,
    stage_lengths,
    temporal_lengths,
    trace_shapes,
    tube_branches,
    weight_transfer_table,
)
from mict.course.exercises.architecture import check_conv3d_parameters, check_fold_time, check_temporal_lengths
from mict.course.exercises.build import check_inflation, check_tube_forward
from mict.course.viz import architecture as viz
from mict.course.viz import save_figure
from mict.course.widgets.architecture import ArchitectureWidget
from mict.data.augment import normalize
from mict.data.synth import SynthConfig, VideoSpec, render_video
from mict.models import (
    TEMPORAL_KERNELS,
    PretrainedWeightsUnavailable,
    count_parameters,
    fold_time_into_batch,
    get_model,
    imagenet_state_dict,
    transfer_imagenet_weights,
    unfold_time_from_batch,
)
from mict.models.mict_resnet import MiCTStage

course = mict.course.settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
results = mict.course.Results("03_architecture", PROFILE)
pd.set_option("display.max_colwidth", 60)
print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")

# %% [markdown]
# ## 1 · What a 2D and a 3D convolution see
#
# A video clip is a 5D tensor **N×C×T×H×W**: N clips of C colour channels, T frames of H×W
# pixels. A **2D convolution** slides a k×k kernel over the height and width of *one image*: it
# never sees two frames at once. A **3D convolution** slides a kt×k×k kernel over time as well:
# each output looks at kt consecutive frames, so it can respond to *change*.
#
# A tiny clip makes the difference visible: a still square and a dot moving one pixel to the
# right per frame. The 2D kernel is a 3×3 blur; the 3D kernel is the same blur applied to frame
# t+1 minus frame t (kernel 2×3×3).

# %%
clip = viz.toy_motion_clip(frames=6, size=9)  # 1×1×6×9×9: N×C×T×H×W
conv2d = nn.Conv2d(1, 1, kernel_size=3, padding=1, bias=False)
conv3d = nn.Conv3d(1, 1, kernel_size=(2, 3, 3), padding=(0, 1, 1), bias=False)
with torch.no_grad():
    conv2d.weight.fill_(1 / 9)  # a 3×3 blur
    conv3d.weight.copy_(torch.stack([-conv2d.weight, conv2d.weight], dim=2))  # blur(t+1) − blur(t)
    frames, time = fold_time_into_batch(clip)  # a 2D conv wants images: section 2 explains this line
    out2d = unfold_time_from_batch(conv2d(frames), time)
    out3d = conv3d(clip)
print(f"clip {tuple(clip.shape)} → 2D conv {tuple(out2d.shape)}, 3D conv {tuple(out3d.shape)}")
save_figure(viz.plot_conv2d_vs_conv3d(clip, out2d, out3d), "03_conv2d_vs_conv3d")

# %% [markdown]
# The 2D output has one map per frame and shows both objects in every frame. The 3D output has
# **T − kt + 1 = 5** steps (no padding in time) and the still square is gone: only the dot's move
# remains, negative where it left, positive where it arrived. One frame cannot show this.
#
# The price is paid in parameters (and in multiply-adds per output): a kt×k×k kernel has kt times
# the weights of a k×k one. A 1×3×3 "3D" kernel is a 2D kernel applied to every frame.

# %%
layers = {
    "2D 3×3": nn.Conv2d(64, 64, 3, bias=False),
    "3D 3×3×3": nn.Conv3d(64, 64, 3, bias=False),
    "3D 1×3×3 (2D on every frame)": nn.Conv3d(64, 64, (1, 3, 3), bias=False),
    "3D 3×1×1 (time only)": nn.Conv3d(64, 64, (3, 1, 1), bias=False),
}
pd.DataFrame({"parameters, 64 → 64 channels": {name: count_parameters(layer) for name, layer in layers.items()}})

# %% [markdown]
# ## 2 · Folding time into the batch, and back
#
# MiCT runs ordinary 2D ResNet blocks on video. A 2D layer wants N×C×H×W images, so MiCT
# **folds time into the batch**: every frame of every clip becomes one image of a batch of N·T,
# the 2D layer runs once on all of them, and the result is unfolded back into clips.
# `fold_time_into_batch` keeps the frames of one clip consecutive (batch index n·T + t), and can
# take every s-th frame only (`time_stride`), which MiCT's 2D branches use.

# %%
clips = torch.randn(2, 3, 4, 5, 5)  # N×C×T×H×W
frames, time = fold_time_into_batch(clips)
print(f"{tuple(clips.shape)} → {tuple(frames.shape)}, T = {time}")
print("frames[5] is clip 1 at t=1:", torch.equal(frames[5], clips[1, :, 1]))
print("unfolding gives the clips back:", torch.equal(unfold_time_from_batch(frames, time), clips))
every_other, time = fold_time_into_batch(clips, time_stride=2)
print(f"time_stride=2 keeps frames 0, 2: {tuple(every_other.shape)}, T = {time}")
save_figure(viz.plot_fold(batch=2, time=4), "03_fold_time")

# %% [markdown]
# **Why MiCT's 2D layers see one frame per sample.** A 2D convolution mixes pixels within one
# image of the batch, never across images. After the fold every image is one frame, so a 2D
# block cannot look across time. Check it: change frame 2 of clip 0 and see which outputs move.
# (In training, BatchNorm does average its statistics over all N·T frames of the batch; that
# is the only way frames meet inside a 2D layer, and it carries no motion.)

# %%
block = get_model("mict_resnet18", width=8).layer1.blocks[0].eval()  # a 2D BasicBlock
x = torch.randn(2, 8, 4, 16, 16)
changed = x.clone()
changed[0, :, 2] += 1.0
with torch.no_grad():
    before, after = (unfold_time_from_batch(block(fold_time_into_batch(c)[0]), 4) for c in (x, changed))
print("largest change of the output per (clip, time step):")
(after - before).abs().amax(dim=(1, 3, 4))

# %% [markdown]
# **The layout that makes folding free.** In PyTorch's default layout a clip is stored
# N·C·T·H·W in memory (channels outermost), and a frame's channels lie T·H·W values apart: folding
# must *copy* the whole tensor. MiCT's models store clips **channels-last**
# (`torch.channels_last_3d`, N·T·H·W·C in memory): then each frame is already a contiguous
# channels-last image, and the fold is a *view*, free. It is also the layout oneDNN's CPU
# convolutions run fastest. The layout never changes a value, only where it lies in memory.

# %%
rows = []
for layout in (torch.contiguous_format, torch.channels_last_3d):
    stored = clips.contiguous(memory_format=layout)
    folded, _ = fold_time_into_batch(stored)
    shares_memory = folded.untyped_storage().data_ptr() == stored.untyped_storage().data_ptr()
    rows.append({"layout": str(layout).replace("torch.", ""), "strides (N, C, T, H, W)": stored.stride(),
                 "fold": "a view, no copy" if shares_memory else "a copy", "same values": torch.equal(folded, frames)})
pd.DataFrame(rows)

# %% [markdown]
# ## 3 · The Mixed Convolutional Tube and its cross-domain residual
#
# MiCT-ResNet has five tubes: the stem and the first block of each of the four stages.
#
# * **The stem.** 2D branch: a 7×7 conv (stride 2) and a 3×3 max-pool on frames 0, 2, 4, …
#   3D branch: a k×7×7 conv (k = 7 by default; stride 1 in time, 2 in space) and a 3×3×3
#   max-pool that halves time, so both branches have ceil(T/2) steps.
# * **A stage** with temporal stride t. 3D branch: a 3×3×3 conv (stride t in time), BatchNorm,
#   ReLU on the clip. 2D branch: the stage's first ResNet BasicBlock on frames 0, t, 2t, …
#   Their sum then goes through the stage's other BasicBlocks, frame by frame.
#
# The two outputs are **summed**: a *cross-domain residual*. The 2D branch, which can start from
# ImageNet weights, carries appearance; the 3D branch only has to learn what the frames miss,
# their change over time. Here is the stem of a (randomly initialised) MiCT-ResNet-18 on a
# 16-frame clip of the synthetic dataset, in which a shape moves to the right.

# %%
video = render_video(SynthConfig(), VideoSpec("MoveRight", group=1, clip=1, n_frames=16))  # T×H×W×3 uint8
clip = normalize(torch.from_numpy(video).permute(0, 3, 1, 2)).unsqueeze(0)  # 1×3×16×96×128, N×C×T×H×W
torch.manual_seed(SEED)
mict18 = get_model("mict_resnet18").eval()
branches = tube_branches(mict18.stem, clip)
with torch.no_grad():
    print("3D branch + 2D branch == the stem's output:", torch.allclose(branches["sum"], mict18.stem(clip)))
print({name: tuple(t.shape) for name, t in branches.items()})
save_figure(viz.plot_tube_branches(clip, branches, frame_step=2,
                                   title="MiCT-ResNet-18's stem on a 16-frame clip (random weights): "
                                         "channel means of each branch and of their sum"),
            "03_mict_block")

# %% [markdown]
# Both branches have 8 steps of 64×24×32 and add up element by element. Look at the last steps
# of the 3D branch: their 7-frame windows reach past the end of the clip, into zero padding, and
# the very last one is visibly dimmer. Which brings us to the detail that makes the sum possible.
#
# ### End-only temporal padding: both branches have ceil(T/s) steps, for any T
#
# The 2D branch of a tube with temporal stride s takes frames 0, s, 2s, …: **ceil(T/s)** of them.
# The 3D branch must produce exactly as many steps, or the two cannot be added. MiCT pads time
# with k − 1 zero frames **at the end only** (`pad_space_and_time_end`) and convolves without
# temporal padding: step t then sees frames t·s … t·s + k − 1, starting at the very frame the 2D
# branch sees at step t, for any T, odd or even.

# %%
save_figure(viz.plot_time_alignment(frames=7, kernel=3, stride=2), "03_time_alignment")

# %%
stage = MiCTStage(8, 8, blocks=2, temporal_stride=2, stride=1)
rows = []
for frames in range(1, 10):
    steps = {name: t.shape[2] for name, t in tube_branches(stage, torch.randn(1, 8, frames, 8, 8)).items()}
    rows.append({"T": frames, "3D steps": steps["3D"], "2D steps": steps["2D"], "ceil(T/2)": -(-frames // 2)})
pd.DataFrame(rows).set_index("T").T

# %% [markdown]
# The *amount* of padding, k − 1 frames, is what makes the counts match; *where* it goes decides
# what a step sees. Symmetric padding ((k − 1)/2 frames on each side) would give the same counts
# with windows centred on the 2D branch's frame; the original puts everything at the end, so a
# step looks ahead from its frame. We keep the original's choice, so that its released checkpoints
# load and give the same outputs (tested in `tests/test_weights.py`). The consequence to
# remember: the last steps of every 3D branch see zeros, the more so the larger the kernel.
#
# ## 4 · A shape trace through MiCT-ResNet-18
#
# `trace_shapes` runs one forward pass with hooks on every branch and returns each output's
# shape as N×C×T×H×W (2D outputs are unfolded back into clips). Here MiCT-ResNet-18 *v1* on the
# original's input, one 16-frame 160×160 clip:

# %%
traces = {}
for version in ("v1", "v2"):
    model = get_model("mict_resnet18", version=version).eval()
    for frames in (16, 33):
        traces[version, frames] = trace_shapes(model, torch.randn(1, 3, frames, 160, 160))
traces["v1", 16]

# %% [markdown]
# Space shrinks by 32 (160 → 5) as in any ResNet; channels grow from 64 to 512. Time shrinks by
# the **temporal strides** (stem, layer1, …, layer4), after the stem's max-pool halves it:
#
# | version | temporal strides | time reduced by | 16 frames → | 33 frames → |
# | --- | --- | --- | --- | --- |
# | v1 | 1, 1, 2, 2, 2 | 16 | 1 step | 3 steps |
# | v2 | 1, 1, 1, 2, 1 | 4 | 4 steps | 9 steps |
#
# Every reduction rounds up, ceil(T/s), so a clip of any length works, 33 frames included. The
# classifier scores every remaining time step and averages the scores: v2 keeps four times more
# steps, which notebook 06 tests on long videos.

# %%
lengths = pd.DataFrame({f"{version}, T={frames}": stage_lengths(trace) for (version, frames), trace in traces.items()})
for (version, frames), trace in traces.items():
    results.record(f"mict18_{version}_steps_T{frames}", stage_lengths(trace).iloc[-1])
lengths.T

# %%
networks = {
    "MiCT-ResNet-18 v1": get_model("mict_resnet18", width=8, version="v1"),
    "MiCT-ResNet-18 v2": get_model("mict_resnet18", width=8, version="v2"),
    "3D-ResNet-18": get_model("resnet3d_18", width=8),
    "frame ResNet-18": get_model("frame_resnet18", width=8),
}
save_figure(viz.plot_temporal_lengths(temporal_lengths(networks, (16, 33))), "03_temporal_lengths")

# %% [markdown]
# The 3D-ResNet-18 also reduces time by 16, with symmetric padding (its 7×7×7 stem keeps all T
# steps, its max-pool and stages halve them). The frame ResNet never touches time: it classifies
# every frame and averages.
#
# ## 5 · Parameters, FLOPs and frames/s, side by side
#
# Seven networks on the original's speed test input, one 16-frame 160×160 clip (`mict speed`
# prints the same table): MiCT-ResNet-18 and -34 (v1, 7×7×7), the 3D-ResNet-18 the original
# compared with, the frame ResNet-18, and torchvision's `r3d_18`, `mc3_18` and `r2plus1d_18`
# (architectures only, untrained). FLOPs are counted by `torch.utils.flop_counter` (a multiply-add
# is 2 FLOPs); frames/s are 16 frames over the median time of a forward pass, on this machine's
# CPU, with few runs: expect them to vary from run to run by 10–30%.
#
# *Predict first:* the 3D-ResNet-18 has twice MiCT-ResNet-18's parameters. Will it need twice the
# FLOPs too? And which network will run the most frames per second: the one with the fewest FLOPs?
#
# <details><summary>Answer</summary>
#
# Not twice: the 3D-ResNet-18 needs only about 1.3× MiCT's FLOPs, because half of MiCT's FLOPs sit
# in its 7×7×7 stem (measured below). And the frame ResNet-18 costs *more* FLOPs than MiCT: it runs
# all 16 frames through every stage, where MiCT's 2D path keeps every 2nd, 4th, … frame. Yet compare
# their frames/s in the table: FLOPs count arithmetic, not how well each kernel uses the hardware, and
# 2D convolutions are the best-tuned kernels a CPU has.
# </details>

# %%
measure = dict(frames=16, size=160, warmup=BENCH_WARMUP, memory=False)
matmul = matmul_rate()  # this CPU's float32 matrix product, GFLOP/s: the `of_matmul` column's yardstick
ours = benchmark_models(["mict_resnet18", "mict_resnet34", "resnet3d_18", "frame_resnet18"], runs=BENCH_RUNS,
                        matmul_gflop_per_s=matmul, **measure)
theirs = benchmark_models(["r3d_18", "mc3_18", "r2plus1d_18"], runs=TORCHVISION_RUNS, matmul_gflop_per_s=matmul,
                          **measure)
costs = pd.concat([ours, theirs], ignore_index=True)
add_relative_fps(costs, "resnet3d_18")
costs.attrs["matmul_gflop_per_s"] = matmul
reported = reference.architectures().query("first_kernel == 7").set_index("model")
costs["reported_params_millions"] = costs["model"].map(reported["params_millions"])
costs["reported_fps"] = costs["model"].map(reported["fps"])  # Titan RTX, from the original's README
print(format_table(costs.drop(columns="peak_memory_mb")))  # what `mict speed` prints
costs[["model", "params", "reported_params_millions", "gflops_per_clip", "frames_per_s", "reported_fps"]].round(2)

# %%
by_model = costs.set_index("model")
for key, name in (("mict18", "mict_resnet18"), ("mict34", "mict_resnet34"), ("resnet3d18", "resnet3d_18"),
                  ("frame18", "frame_resnet18")):
    results.record(f"{key}_params", by_model.loc[name, "params"])
    results.record(f"{key}_gflops", by_model.loc[name, "gflops_per_clip"])
    results.record(f"{key}_cpu_fps", by_model.loc[name, "frames_per_s"])
flops_ratio = results.record("resnet3d_vs_mict_flops_ratio",
                             by_model.loc["resnet3d_18", "gflops_per_clip"] / by_model.loc["mict_resnet18", "gflops_per_clip"])
results.record("frame_vs_mict_flops_ratio",
               by_model.loc["frame_resnet18", "gflops_per_clip"] / by_model.loc["mict_resnet18", "gflops_per_clip"])
fps_ratio = results.record("mict_vs_3d_fps_ratio",
                           by_model.loc["mict_resnet18", "frames_per_s"] / by_model.loc["resnet3d_18", "frames_per_s"])
print(f"3D-ResNet-18 / MiCT-ResNet-18: {flops_ratio:.2f}× the FLOPs; MiCT runs {fps_ratio:.1f}× the frames/s")
use_ratio = results.record("r3d_vs_resnet3d_of_matmul_ratio",
                           by_model.loc["r3d_18", "of_matmul"] / by_model.loc["resnet3d_18", "of_matmul"])
print(f"torchvision's r3d_18 does its arithmetic {use_ratio:.1f}× as fast as the 3D-ResNet-18")
save_figure(viz.plot_model_costs(costs), "03_model_costs")

# %% [markdown]
# **Parameters** match the original's exactly (16,051,685 for MiCT-ResNet-18, 33,255,717 for the
# 3D-ResNet-18): the 3D-ResNet doubles them because every 3×3 kernel became 3×3×3.
#
# **FLOPs** tell a smaller story than one might expect: the 3D-ResNet-18 needs only about
# 1.3× MiCT-ResNet-18's. Where do MiCT's go? About half into one layer, the stem's 7×7×7 3D
# convolution, which runs at full frame rate on 80×80 maps:

# %%
layer_flops = flops_by_layer(mict18, torch.randn(1, 3, 16, 160, 160))
stem_share = results.record("mict18_stem_3d_flops_share",
                            100 * layer_flops.loc[0, "3D conv"] / layer_flops["total"].sum())
print(f"the stem's k×7×7 3D convolution: {stem_share:.0f}% of MiCT-ResNet-18's FLOPs")
layer_flops.round(2)

# %% [markdown]
# **Frames/s** differ much more than FLOPs: on a CPU at batch 1, MiCT-ResNet-18 runs several times
# the frames/s of the 3D-ResNet-18 (the ratio printed above is this run's; it depends on the CPU)
# for 1/1.3 of its FLOPs. The table's `gflop_per_s` column says how fast each network does its
# arithmetic, and `of_matmul` sets that against the fastest arithmetic this CPU has, a large float32
# matrix product (its rate is printed under the table). Two all-3D networks sit far apart there:
# torchvision's `r3d_18` does its arithmetic faster than our 3D-ResNet-18 (the ratio printed above).
# Part of the gap is not arithmetic at all but *which kernel PyTorch picks*. On the CPU, a
# convolution with kernels no larger than 3 at batch 1 goes to oneDNN (the fast library) only when
# its input is large enough (N·C·T·H > 20,480, a heuristic in PyTorch's `use_mkldnn`); smaller
# ones run on a slower native kernel. All of the 3D-ResNet's 3×3×3 convolutions pad inside the
# convolution (`padding=1`) and fall under the threshold. MiCT's 2D layers see a batch of frames
# (N·T > 1 in every stage but the last), which goes to oneDNN, and its large 3D convolutions pad *first*
# (`pad_space_and_time_end`), so they see a slightly larger input and go to oneDNN too; so do most
# of torchvision's `r3d_18` layers, whose stem keeps 80×80 maps. The same arithmetic, timed both
# ways, on layer1's input:

# %%
x = torch.randn(1, 64, 8, 40, 40)  # layer1's input for a 16×160×160 clip: 1·64·8·40 = 20,480
padded_inside = nn.Conv3d(64, 64, 3, padding=1, bias=False)  # the 3D-ResNet's way
padded_first = nn.Sequential(nn.ConstantPad3d(1, 0.0), nn.Conv3d(64, 64, 3, bias=False))  # MiCT's way
padded_first[1].weight = padded_inside.weight
with torch.no_grad():
    print("same result:", torch.allclose(padded_inside(x), padded_first(x), atol=1e-4))
timings = {"padding=1 inside the conv, batch 1": (padded_inside, x),
           "zero-pad first, then the conv, batch 1": (padded_first, x),
           "padding=1 inside the conv, batch 2 (per clip)": (padded_inside, torch.cat([x, x]))}
pd.DataFrame({"median ms per clip": {name: 1e3 * statistics.median(measure_latency(m, inp, runs=5, warmup=1))
                                             / len(inp) for name, (m, inp) in timings.items()}}).round(1)

# %% [markdown]
# So batch-1 CPU frames/s measure FLOPs *and* PyTorch's dispatch. At batch 2 the padded-inside
# convolution goes to oneDNN too (third row), and the two networks then differ by about their
# FLOPs ratio (1.1–1.3× on a quiet 2-core machine, against 1.33× in FLOPs):

# %%
batch2 = benchmark_models(["mict_resnet18", "resnet3d_18"], batch=2, runs=BENCH_RUNS, matmul_gflop_per_s=matmul,
                          **measure)
ratio2 = results.record("mict_vs_3d_fps_ratio_batch2", batch2["frames_per_s"].iloc[0] / batch2["frames_per_s"].iloc[1])
print(f"batch 2: MiCT-ResNet-18 runs {ratio2:.2f}× the frames/s of the 3D-ResNet-18 (batch 1: {fps_ratio:.2f}×)")
batch2[["model", "batch", "gflops_per_clip", "latency_ms", "frames_per_s", "relative_fps"]].round(2)

# %% [markdown]
# On a GPU the original measured 1981 against 644 frames/s at batch 1 (3.1×), another set of
# kernels and another ratio again. torchvision's video ResNets are a different design: their stems
# keep 80×80 maps into layer1 (no max-pool), so they need six to seven times MiCT's FLOPs.
# **Count FLOPs, but measure**, on the hardware and at the batch size you will use.
#
# ## 6 · The first 3D kernel: 3, 5 or 7 frames
#
# The stem's 3D kernel is k×7×7 (`temporal_kernel`). Its size barely moves the parameters (the
# layer has only 3 input channels) but moves the FLOPs a lot (the layer runs on every frame at
# 80×80). Notebook 05 trains all three; here are their costs.

# %%
rows = []
for k in TEMPORAL_KERNELS:
    torch.manual_seed(SEED)
    row = benchmark_model(get_model("mict_resnet18", temporal_kernel=k), f"MiCT-ResNet-18 {k}×7×7",
                          runs=BENCH_RUNS, **measure)
    rows.append({**row, "first_kernel": k})
    results.record(f"mict18_k{k}_params", row["params"])
    results.record(f"mict18_k{k}_gflops", row["gflops_per_clip"])
kernels = pd.DataFrame(rows)
add_relative_fps(kernels, "MiCT-ResNet-18 7×7×7")
kernels["reported_fps"] = kernels["first_kernel"].map(reference.architectures().query("model == 'mict_resnet18'")
                                                      .set_index("first_kernel")["fps"])
save_figure(viz.plot_kernel_costs(kernels), "03_kernel_costs")
by_kernel = kernels.set_index("first_kernel")
k3_speedup = results.record("mict_k3_vs_k7_fps_ratio", by_kernel.loc[3, "frames_per_s"] / by_kernel.loc[7, "frames_per_s"])
print(f"3×7×7 against 7×7×7: {k3_speedup:.2f}× the frames/s on this CPU, "
      f"{by_kernel.loc[3, 'reported_fps'] / by_kernel.loc[7, 'reported_fps']:.2f}× on the original's Titan RTX, "
      f"for {by_kernel.loc[3, 'gflops_per_clip'] / by_kernel.loc[7, 'gflops_per_clip']:.2f} of the FLOPs")
kernels[["model", "params", "gflops_per_clip", "frames_per_s", "relative_fps", "reported_fps"]].round(2)

# %% [markdown]
# Four more frames in the first kernel add 4·7·7·3·64 = 37,632 weights (16,014,053 → 16,051,685,
# the original's exact counts) but about 7.7 GFLOPs, 44% more compute for the whole network.
# On the original's Titan RTX, 3×7×7 ran 20% faster than 7×7×7 (2380 against 1981 frames/s);
# the cell above prints the ratio on this CPU beside it. If time followed FLOPs, 3×7×7 would run
# 1.44× the frames/s of 7×7×7.
#
# ## 7 · ImageNet transfer: copied 2D weights against inflated 3D weights
#
# Both MiCT-ResNet and the 3D-ResNet start from an ImageNet ResNet (`get_model(…, pretrained=True)`),
# differently:
#
# * **MiCT** copies the 2D weights into its 2D layers, unchanged. Its 3D branches start from
#   scratch and, thanks to the residual sum, start as a perturbation of an ImageNet network.
# * **The 3D-ResNet** has no 2D layers: each k×k kernel is **inflated** to kt×k×k by repeating
#   it kt times along time and dividing by kt (`inflate_2d_kernel`). On a clip of identical
#   frames, every 3D convolution then sums kt equal 2D responses divided by kt: exactly the 2D
#   network's activation, wherever the zero padding of time does not interfere.
#
# The ImageNet weights are used only when torchvision's cache holds them (or when
# `DOWNLOAD_IMAGENET = True`); otherwise random 2D weights stand in: inflation works the same
# for any 2D weights.

# %%
try:
    weights_2d = imagenet_state_dict(18, download=DOWNLOAD_IMAGENET)
    source = "ImageNet weights"
except PretrainedWeightsUnavailable as error:
    print(f"{error}\n→ random 2D ResNet-18 weights instead.")
    weights_2d = random_resnet_2d_state_dict(18, width=64, seed=SEED)
    source = "random 2D weights"
summaries = {}
for name in ("mict_resnet18", "resnet3d_18"):
    model = get_model(name)
    transfer_imagenet_weights(model, weights_2d)
    summaries[name] = weight_transfer_table(model, weights_2d).groupby("source").agg(
        tensors=("parameter", "size"), parameters=("numel", "sum"), exactly_as_promised=("matches", "all"))
pd.concat(summaries)

# %% [markdown]
# MiCT-ResNet-18 copies 11.2M parameters, all of ResNet-18 but its classifier, and adds 4.9M
# new ones: its 3D branches and its 101-way classifier. The 3D-ResNet-18 inflates nearly all of its
# 33.3M parameters from the same 11.2M: ×7 for the stem, ×3 for the 3×3×3 kernels, ×1 for the
# 1×1×1 shortcuts (BatchNorm parameters are copied).
#
# Now the promise of inflation, tested: one frame of the synthetic video, repeated 128 times,
# through the inflated 3D-ResNet-18, against the 2D ResNet-18 on that single frame, stage by
# stage and time step by time step. Which steps the zero padding of time can reach is found
# independently, by padding with NaN instead of zeros and seeing where NaN arrives.

# %%
frame = F.interpolate(clip[:, :, 0], size=(64, 64), mode="bilinear", antialias=True)  # 1×3×64×64
gaps = inflation_gap(weights_2d, frame, frames=128)
unreached = gaps[~gaps["padding_reaches"]]
results.record("inflation_unreached_steps", len(unreached))
results.record("inflation_max_relative_gap_unreached", unreached["relative_gap"].max())
print(f"{len(unreached)} of {len(gaps)} steps out of the padding's reach; largest relative difference "
      f"there {unreached['relative_gap'].max():.1e} (float32 rounding); where it reaches, up to "
      f"{gaps['relative_gap'].max():.2f}")
save_figure(viz.plot_inflation_gap(gaps, source), "03_inflation")

# %% [markdown]
# Where the padding cannot reach, the inflated network *is* the 2D network, to float rounding.
# The padding's influence grows with depth: every stage widens the temporal receptive field, and
# in layer4 even 128 identical frames are not enough to escape it. An inflated 3D-ResNet thus
# starts as "ImageNet on every frame" in the middle of long clips only.
#
# And MiCT? Its 2D path, on the frames each stage keeps, computes exactly what the 2D network
# computes. But its 3D branches are new: freshly initialised (Kaiming weights, unit BatchNorm), and
# *summed* into every tube's output, so from the stem on every later stage sees an input that is
# not the 2D network's. How far from the 2D network does a freshly built MiCT-ResNet-18 start? The
# same measurement, stage by stage: the distance of each stage's output from the 2D ResNet's on the
# same frames, relative to the 2D output's size, with the 3D branches on, and switched off as a
# control.
#
# *Predict first:* is the distance small (the 3D branches a gentle perturbation), or large?
#
# <details><summary>Answer</summary>
#
# Large, and growing with depth: the table below measures it. Unit-scale 3D branches are as loud as
# the 2D branches they are added to, and each stage adds its own on top of the previous ones. MiCT
# starts from its ImageNet weights in its 2D path only; the network as a whole has to learn to use
# (or quieten) its 3D branches.
# </details>

# %%
distance = distance_from_the_2d_network(weights_2d, clip[:, :, :16, :64, :64])
results.record("fresh_mict_distance_layer4", distance["3D branches on"].iloc[-1])
results.record("fresh_mict_distance_without_3d", distance["3D branches off"].max())
distance.round(4)

# %% [markdown]
# With the 3D branches off, the distance is zero to float rounding: MiCT's 2D path *is* the 2D
# network on the frames it keeps. With them on, no stage's output stays close to the 2D
# network's, and the distance grows stage after stage. So "MiCT starts as the ImageNet network"
# holds for its 2D layers' weights, not for what the network computes.
#
# ## 8 · Explore: shapes and costs for any configuration
#
# Pick the backbone, the version, the first kernel and the clip length: the widget traces a
# forward pass and counts its FLOPs on small 64×64 frames, so that it redraws in a second
# (FLOPs grow with T·H·W: multiply by 6.25 for 160×160). Try T = 1, 15, 16, 17 and 64 with v1
# and v2: where does the rounding up show? (Below, the default state as a static figure, for a
# static render of the notebook.)

# %%
widget = ArchitectureWidget(size=64)
display(widget)
save_figure(widget.render_default(), "03_widget_default")

# %% [markdown]
# ## Your turn
#
# **Exercise 1 · Temporal lengths by hand.** Complete `temporal_lengths_by_hand(frames, version)`:
# the number of time steps after the stem and after each of the four stages of MiCT-ResNet
# (a list of 5 integers). The stem halves time (its max-pool, stride 2), then each stage divides
# by its temporal stride (`TEMPORAL_STRIDES[version][1:]`), always rounding *up*. The check
# compares with the shapes of a real (tiny) network.

# %%
def temporal_lengths_by_hand(frames, version):
    return None  # your code here


check_temporal_lengths(temporal_lengths_by_hand)

# %% tags=["solution"] jupyter={"source_hidden": true}
from mict.models import TEMPORAL_STRIDES


def temporal_lengths_by_hand_solution(frames, version):
    lengths, steps = [], frames
    for stride in (2 * TEMPORAL_STRIDES[version][0], *TEMPORAL_STRIDES[version][1:]):
        steps = -(-steps // stride)  # ceil(steps / stride) in integers
        lengths.append(steps)
    return lengths


check_temporal_lengths(temporal_lengths_by_hand_solution, strict=True)

# %% [markdown]
# **Exercise 2 · Fold a clip into frames by hand.** Complete `fold_by_hand(clip)`: an
# N×C×T×H×W clip → an (N·T)×C×H×W batch of frames, the frames of one clip consecutive
# (index n·T + t), with `transpose` and `reshape` only. Why does a `reshape` alone give a batch of
# the right shape but the wrong content?

# %%
def fold_by_hand(clip):
    return None  # your code here


check_fold_time(fold_by_hand)

# %% tags=["solution"] jupyter={"source_hidden": true}
def fold_by_hand_solution(clip):
    n, c, t, h, w = clip.shape
    return clip.transpose(1, 2).reshape(n * t, c, h, w)  # N×T×C×H×W first: then a frame is one block


check_fold_time(fold_by_hand_solution, strict=True)

# %% [markdown]
# **Exercise 3 · Parameters of a 3D convolution.** Complete `conv3d_parameters(kernel, in_channels,
# out_channels)` for a `Conv3d` without bias (MiCT's convolutions are followed by BatchNorm,
# which has its own shift). Then check by hand that 7×7×7 minus 3×7×7 from 3 to 64 channels is
# the 37,632 parameters between MiCT-ResNet-18's two totals.

# %%
def conv3d_parameters(kernel, in_channels, out_channels):
    return None  # your code here


check_conv3d_parameters(conv3d_parameters)

# %% tags=["solution"] jupyter={"source_hidden": true}
def conv3d_parameters_solution(kernel, in_channels, out_channels):
    kt, kh, kw = kernel
    return out_channels * in_channels * kt * kh * kw


print(conv3d_parameters_solution((7, 7, 7), 3, 64) - conv3d_parameters_solution((3, 7, 7), 3, 64),
      "=", 16_051_685 - 16_014_053)
check_conv3d_parameters(conv3d_parameters_solution, strict=True)

# %% [markdown]
# **Exercise 4 · Build the tube.** Now write a Mixed Convolutional Tube's forward pass yourself:
# complete `tube_forward(stage, clip)` for a `MiCTStage` and an N×C×T×H×W clip, using only the
# stage's layers (`stage.conv3d`, `stage.bn3d`, `stage.relu`, `stage.blocks`,
# `stage.temporal_stride`) and plain tensor operations (`F.pad`, `transpose`, `reshape`, slicing):
#
# 1. the 3D branch: pad space by 1 on each side and time by 2 **at the end only**, then conv3d → BN
#    → ReLU;
# 2. the 2D branch: keep frames 0, t, 2t, … (t the temporal stride), fold time into the batch, run
#    `stage.blocks[0]`, unfold;
# 3. the sum of the two, then the stage's remaining blocks, frame by frame.
#
# The check compares your output with the library's stage on the same weights and random clips,
# for clip lengths 1, 5, 8, 13 and every kind of stride, and names the usual mistakes.

# %%
def tube_forward(stage, clip):
    return None  # your code here


check_tube_forward(tube_forward)

# %% tags=["solution"] jupyter={"source_hidden": true}
def tube_forward_solution(stage, clip):
    def fold(x):
        n, c, t, h, w = x.shape
        return x.transpose(1, 2).reshape(n * t, c, h, w), t

    def unfold(frames, t):
        return frames.reshape(-1, t, *frames.shape[1:]).transpose(1, 2)

    motion = stage.relu(stage.bn3d(stage.conv3d(F.pad(clip, (1, 1, 1, 1, 0, 2)))))
    frames, t = fold(clip[:, :, :: stage.temporal_stride])
    frames, t = fold(motion + unfold(stage.blocks[0](frames), t))
    for block in stage.blocks[1:]:
        frames = block(frames)
    return unfold(frames, t)


check_tube_forward(tube_forward_solution, strict=True)

# %% [markdown]
# **Exercise 5 · Inflate a kernel.** Complete `inflate(weight, time)`: a 2D kernel
# (out×in×k×k) → a 3D kernel (out×in×time×k×k) that, on a clip of identical frames, gives exactly the
# 2D convolution's output at every time step (section 7). The check runs both convolutions on a
# static clip.

# %%
def inflate(weight, time):
    return None  # your code here


check_inflation(inflate)

# %% tags=["solution"] jupyter={"source_hidden": true}
def inflate_solution(weight, time):
    return weight.unsqueeze(2).repeat(1, 1, time, 1, 1) / time


check_inflation(inflate_solution, strict=True)

# %% [markdown]
# ## Recap
#
# * A **2D convolution** sees one frame; a **3D convolution** sees kt frames and can respond to
#   change, for kt times the parameters and multiply-adds.
# * MiCT runs its 2D layers on video by **folding time into the batch**; each frame is then one
#   sample, and a channels-last clip folds without a copy.
# * A **Mixed Convolutional Tube** sums a 3D branch and a 2D branch (the cross-domain residual);
#   **end-only temporal padding** of k − 1 frames gives both branches ceil(T/s) steps for any T.
# * MiCT-ResNet-18 reduces time by 16 (v1) or 4 (v2), rounding up: 33 frames leave 3 or 9 steps.
# * MiCT-ResNet-18 has half the 3D-ResNet-18's parameters and ~1/1.3 of its FLOPs, half of them in
#   the 7×7×7 stem; CPU frames/s at batch 1 differ more, partly through PyTorch's kernel choice.
#   FLOPs are a guide; speed must be measured.
# * ImageNet weights are **copied** into MiCT's 2D layers and **inflated** into the 3D-ResNet;
#   an inflated network equals the 2D one on a static clip only where padding does not reach, and a
#   fresh MiCT is far from its 2D network as soon as its 3D branches are on.
#
# ## Check your understanding
#
# 1. A MiCT-ResNet-18 v2 gets a 30-frame clip. How many time steps reach its classifier, and why
#    does the answer not depend on whether 30 is a multiple of the stride?
# 2. Why does MiCT pad time at the end only, where the 3D-ResNet pads both ends?
# 3. Folding an N·C·T·H·W-contiguous clip copies it; folding a channels-last clip does not. What in
#    the memory layout makes the difference?
# 4. Which single layer holds about half of MiCT-ResNet-18's FLOPs, and what does that predict for a
#    3×7×7 first kernel?
# 5. Why is a freshly built MiCT-ResNet not the ImageNet network, although its 2D layers hold
#    ImageNet's weights?
#
# <details><summary>Answers</summary>
#
# 1. The stem's max-pool gives ceil(30/2) = 15 steps; v2's stages have temporal strides 1, 1, 2, 1,
#    so 15 after layer1 and layer2, then ceil(15/2) = 8 after layer3 and layer4: 8 steps. Rounding
#    up keeps a last, partial step.
# 2. So that output step t starts at the frame the 2D branch takes (t·s): both branches then have
#    ceil(T/s) aligned steps and can be summed.
# 3. In the channels-last layout the frames of a clip are contiguous blocks of H·W·C values, so an
#    (N·T)×C×H×W view exists; in N·C·T·H·W a frame's channels lie T·H·W values apart.
# 4. The stem's 3D convolution; a 3×7×7 kernel costs 3/7 of it, so the whole network about 30% fewer
#    FLOPs (section 6).
# 5. Its 3D branches are new, at unit BatchNorm scale, and summed into every tube's output.
# </details>
#
# **Next:** notebook 04 trains MiCT-ResNet-18 and the frame ResNet, and measures what the 3D
# branches buy.
