# %% [markdown]
# # 05 · How many frames should the first 3D kernel see?
#
# *Study time: about 60 minutes, exercises included (the first run trains the arms' seed 0: a few
# CPU minutes).*
#
# The original (Mahoudeau's MiCT-Net-PyTorch) reports that MiCT-ResNet-18's first 3D kernel is
# worth a little accuracy per frame it sees: 61.4, 62.7 and 63.3% top-1 on UCF-101 for 3, 5 and 7
# frames, each from one training run per split. This notebook runs the same ablation on the
# synthetic motions, beside three networks that bracket it, and asks what the numbers can support.
#
# **Learning goals**
#
# * run an ablation with several seeds, and put a 95% interval on every accuracy: over the seeds
#   *and* over the test videos;
# * compare two arms the right way: the paired difference on the same seeds and videos, its
#   interval, and a paired test;
# * say only what an interval supports, and tell "no difference" from "no evidence of a difference";
# * check that a conclusion does not depend on the CPU that trained the runs;
# * put accuracy, parameters, FLOPs and frames/s side by side, and see where a mixed 3D/2D
#   network's compute goes.

# %% tags=["parameters"]
PROFILE = "quick"  # "full": UCF-101 on a GPU with the original's recipe
RETRAIN = False  # True: train again instead of reusing build/runs
FIGURES_ONLY = False  # True: never train, only redraw figures from cached runs
BENCH_RUNS = 5  # timed forward passes per model for frames/s

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from mict import reference
from mict.course import Results, get_run, settings
from mict.course.analysis.ablation import (
    KERNEL_PAIRS,
    SPEED_PAIRS,
    architecture_costs,
    arm_table,
    caveats,
    changed_findings,
    difference_table,
    live_record,
    pooled,
    shipped_evidence,
    shipped_prediction_band,
    survives_losing_a_seed,
    verdicts_on_this_machine,
)
from mict.course.analysis.machines import cpus, findings_on_both, other_cpu_dir, runs_side_by_side
from mict.course.exercises.training import check_differ, check_stem_flops
from mict.course.viz import save_figure
from mict.course.viz.augmentation import plot_filmstrips
from mict.course.viz.results import plot_arm_accuracy, plot_differences, plot_original_kernels
from mict.data.synth import GLIDE_SPEEDS, SPEED_CLASSES, VideoSpec, render_video
from mict.data.synth import preset as synth_preset
from mict.stats import paired_difference, simulate_paired_arms
from mict.sweep import get_sweep, load_sweep, missing_records, stale_records, sweeps_dir

course = settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
results = Results("05_kernel_size_ablation", PROFILE)
sweep = get_sweep("kernel")
labels = {arm.name: arm.label for arm in sweep.arms}

# %% [markdown]
# ## Six arms, one recipe, several seeds
#
# * **MiCT-ResNet-18 with a 3×7×7, 5×7×7 or 7×7×7 first kernel**: the original's ablation.
# * **MiCT without its 3D branches** (notebook 04's like-for-like baseline): what all 3D branches
#   together add.
# * **The 3D-ResNet-18**, where *every* convolution is 3D, and **the frame ResNet-18**, where none is.
#
# All six train with the quick profile's recipe and are tested on the first 16 frames of each test
# video. One run per arm says little: in notebook 04, the same network gives another accuracy with
# another seed (and, in float32 on a CPU, with another CPU family: see below). So every arm is
# trained with **several seeds** (the sweep's definition, `mict.sweep.SWEEPS`, lists them; the
# table below shows which are shipped). This notebook trains seed 0 of each arm itself; the other
# seeds come from records shipped with the course in `data/sweeps/kernel/`, each holding its configuration, the key
# and code version that produced it, the CPU it ran on, and its predictions for every test and
# validation video. `make sweep` (`mict sweep kernel`) regenerates them.

# %%
shipped = load_sweep("kernel")
stale = stale_records("kernel")
print(f"{sum(len(r) for r in shipped.values())} shipped records in {sweeps_dir() / 'kernel'}; "
      f"{len(stale)} stale (today's code would train them differently), "
      f"{len(missing_records('kernel'))} missing")
pd.DataFrame([{"arm": arm, "seeds": [r.seed for r in records], "CPU": records[0].meta["machine"]["cpu"],
               "recorded": records[0].meta["recorded"][:10]} for arm, records in shipped.items()])

# %% [markdown]
# *Predict first:* MiCT-ResNet-18 with a 3-frame and a 7-frame first kernel: how large a gap, in
# test top-1 points, do you expect on motions that span many frames? And MiCT against MiCT without
# its 3D branches?

# %%
live = {}
for arm in sweep.arms:
    run = get_run(sweep.config(arm, seed=0, profile=course.profile), course)
    live[arm.name] = live_record(run, sweep, arm.name)
evidence = shipped_evidence(live, shipped)
accuracy = arm_table(evidence, labels)
accuracy[["label", "seeds", "mean", "sd", "low", "high"]].round(1)

# %% [markdown]
# `mean` is the top-1 averaged over seeds and test videos; `sd` the standard deviation of the
# per-seed accuracies; `low`–`high` the 95% interval of the arm's expected accuracy, which counts
# both what another seed and what another draw of test videos would change (`mict.stats`: a
# t-interval whose standard error adds the between-seed and the between-video variance; its
# coverage is checked by simulation in `tests/test_stats.py`).
#
# These are the **shipped** seeds' numbers, seed 0 included, whenever seed 0 is shipped
# (`shipped_evidence`): the claims of this notebook then rest on the same records on every machine,
# and read the same everywhere. Your own seed-0 runs are the check that your machine agrees, below
# and again after the comparisons.
#
# **Does this machine agree with the shipped seeds?** Float32 arithmetic on a CPU is exactly
# repeatable on one machine with one thread count, but another CPU family (an AMD EPYC against an
# Intel Xeon, say) adds and multiplies in another order, and a 16-epoch training run amplifies those
# last bits: the same seed lands somewhere else. A run on this machine should therefore look like
# one more draw from the shipped seeds' distribution. Each arm's seed-0 accuracy here, against a 99%
# prediction interval from the other shipped seeds:

# %%
rows = []
for arm, record in live.items():
    results.record(f"{arm}_test_top1", record.top1())
    others = [r.top1() for r in shipped.get(arm, []) if r.seed != record.seed]
    low, high = shipped_prediction_band(others)
    rows.append({"arm": labels[arm], "this machine, seed 0": live[arm].top1(), "other shipped seeds": others,
                 "99% band for one more run": f"[{low:.1f}, {high:.1f}]",
                 "inside": bool(low <= live[arm].top1() <= high) if others[1:] else "needs 2 shipped seeds"})
banded = [row for row in rows if isinstance(row["inside"], bool)]
print(f"{sum(not row['inside'] for row in banded)} of {len(banded)} arms outside their band; one more seed of "
      f"every arm leaves at least one outside with chance {1 - 0.99 ** len(banded):.0%}")
pd.DataFrame(rows).round(1)

# %% [markdown]
# A run outside its band is either such a tail draw or a sign that this CPU family trains that arm
# to another accuracy altogether. One run cannot tell the two apart; the whole sweep trained on
# another CPU family can (below, "The whole sweep on another CPU family").

# %%
seeds = f"{accuracy['seeds'].min()}" + (f"–{accuracy['seeds'].max()}" if accuracy["seeds"].nunique() > 1 else "")
fig = plot_arm_accuracy(accuracy, f"this course: synthetic motions, {seeds} seeds per arm (95% intervals)")
save_figure(fig, "05_accuracy")

# %% [markdown]
# ## What the differences support
#
# Two arms are compared **paired**: seed *s* of one against seed *s* of the other, on the same test
# videos, so that what a hard video or a lucky seed does to both cancels out. For each pair, the
# mean difference, its 95% interval, the p-value of the paired test, and McNemar's exact test per
# seed (which videos one run gets right and the other wrong):

# %%
pairs = list(KERNEL_PAIRS)
differences = difference_table(evidence, pairs, labels)
differences["survives_losing_a_seed"] = survives_losing_a_seed(evidence, pairs, labels)
save_figure(plot_differences(differences, f"paired differences, {seeds} seeds × the test videos"), "05_differences")
for _, row in differences.iterrows():
    print("·", row["verdict"] + caveats(row))
differences[["comparison", "difference", "low", "high", "p_value", "survives_losing_a_seed",
             "rerun_changes_it"]].round(3)

# %% [markdown]
# Read each printed sentence as *all* that the data support, and its interval as the range of true
# differences they are compatible with. Two kinds of sentence appear (and a third, "no verdict",
# when an arm has a single seed: its interval counts the test videos but not another seed's luck):
#
# * "**A is more accurate than B, by x to y points**": the interval excludes zero. The CI bands of
#   this notebook (`mict.course.BANDS`) require the lower end of these intervals, computed with
#   this machine's runs (below), to be far above zero for MiCT against the two networks that cannot
#   see motion.
# * "**A and B cannot be told apart**": the interval includes zero. That is not evidence that the two
#   are equal: a true difference anywhere in the interval would produce data like these. A
#   narrower interval needs more seeds or more test videos.
#
# The last two columns ask two more questions of each sentence. Does it still hold with any one of
# the seeds left out? A finding that a single seed carries is fragile. And how likely is it to read
# differently on another machine? Another CPU family trains every seed anew (notebook 04), the live
# seed 0 included, so its run lands like a fresh seed. `rerun_changes_it` is the chance that a fresh
# seed 0 changes the sentence, predicted from the other seeds (`mict.stats.chance_a_rerun_changes_the_finding`:
# one more draw from their spread); the printed sentence names it when it is 1% or more.
#
# **Would your machine change a conclusion?** The same comparisons once more, with this machine's
# seed-0 runs in place of the shipped ones (`verdicts_on_this_machine`). On the machine that trained
# the shipped seeds the two columns are identical. Elsewhere, a finding that changes hangs on one
# seed's rounding: read the shipped sentence above as fragile, not as settled. Set each change beside
# the chance printed for it above, which says how often a machine other than the one that trained the
# shipped seeds should expect to see it.

# %%
records_here = pooled(live, shipped)
on_this_machine = verdicts_on_this_machine(differences, records_here, labels)
for row in arm_table(records_here, labels).itertuples():
    results.record(f"{row.arm}_mean_top1", row.mean)
for _, row in on_this_machine.iterrows():
    results.record(f"{row['a']}_minus_{row['b']}_low", row["low here"])
    results.record(f"{row['a']}_minus_{row['b']}_high", row["high here"])
print(changed_findings(on_this_machine))
on_this_machine[["comparison", "shipped seeds", "shipped finding", "with this machine's runs", "finding here"]]

# %% [markdown]
# Where do the three first kernels fall? Read their three sentences above: on these motions, with
# the seeds and test videos at hand, the printed intervals are the honest answer, whichever way they
# fall. How large a difference could this experiment have resolved at all? About the half-width of
# its intervals, next to the gain the original reports from 3 to 7 frames (one run per split,
# UCF-101, below):

# %%
k7_vs_k3 = differences.set_index(["a", "b"]).loc[("mict_k7", "mict_k3")]
original_top1 = reference.architectures().query("model == 'mict_resnet18'").set_index("first_kernel")["top1"]
original_gain = original_top1[7] - original_top1[3]
print(f"half-width of our k7 − k3 interval: {(k7_vs_k3['high'] - k7_vs_k3['low']) / 2:.1f} points; "
      f"the original's 7×7×7 − 3×7×7 gain: {original_gain:.1f} points")

# %% [markdown]
# **Does the first kernel matter on these motions at all?** The synthetic classes differ in the
# direction and shape of a motion (left or right, up or down, a bounce, a rotation), not in its
# speed or in the fine order of events, where a kernel that sees 7 frames rather than 3 might be
# expected to help. The three kernel comparisons' verdicts, once more: where one says "more" or
# "less accurate", its interval excludes zero and the kernel size changes accuracy here; where it
# is marked fragile, leaving out a single seed changes the sentence, whichever way it reads, and a
# claim about kernels either way would need more seeds.

# %%
kernel_pairs = differences["a"].str.startswith("mict_k") & differences["b"].str.startswith("mict_k")
for _, row in differences.loc[kernel_pairs].iterrows():
    print("·", row["verdict"] + caveats(row))

# %% [markdown]
# **What five seeds would have said.** The two kernels the ablation is about ship more seeds than
# the other arms. The same comparison on their first five seeds only, as many as the others have:

# %%
first_five = {arm: [r for r in evidence[arm] if r.seed < 5] for arm in ("mict_k7", "mict_k3")}
five_seeds = difference_table(first_five, [("mict_k7", "mict_k3")], labels, rerun_chance=False).iloc[0]
for name, row in (("first five seeds", five_seeds), ("every seed", k7_vs_k3)):
    print(f"{name} ({row['seeds']}):", row["verdict"])

# %% [markdown]
# Where the two sentences differ, the five-seed sentence was never a finding: the next five seeds
# overturn it. A notebook with fewer seeds cannot know that, but it can suspect it: the "fragile"
# mark and the chance that another machine's seed changes a sentence are its warnings.

# %% [markdown]
# ## The whole sweep on another CPU family
#
# Your seed-0 runs are one check of the claim that a CPU family changes a run the way a fresh seed
# does. A stronger one ships with the course: `data/sweeps-intel-xeon/` holds this sweep trained
# again, every arm and seed, by the same code on an Intel Xeon (AVX512 and AMX), while the shipped
# records came from an AMD EPYC. Seed *s* starts from the same weights and sees the same clips on
# both; only the rounding differs. Per arm, the Intel runs minus the AMD runs of the same seeds,
# paired on the same test videos, and then every comparison of this notebook drawn from each record
# set alone:

# %%
other_cpu = load_sweep("kernel", other_cpu_dir())
print(f"data/sweeps: {cpus(shipped)}; {other_cpu_dir().name}: {cpus(other_cpu)}")
across = runs_side_by_side(shipped, other_cpu, labels, names=("AMD", "Intel"))
for sentence in across["verdict"]:
    print("·", sentence)
across[["arm", "seeds", "identical seeds", "difference", "low", "high", "p_value"]].round(2)

# %%
on_both = findings_on_both("kernel", shipped, other_cpu)
print("every finding is the same from both CPU families" if on_both["same finding"].all() else
      "findings that differ: " + "; ".join(on_both.loc[~on_both["same finding"], "comparison"]))
on_both.rename(columns={"A": "AMD EPYC", "finding from A": "finding (AMD)", "B": "Intel Xeon",
                        "finding from B": "finding (Intel)"})

# %% [markdown]
# Read the first table as a test of the course's assumption: where an arm's interval excludes zero,
# that CPU family trains that arm to a different accuracy, not only to a different seed's, and the
# 99% band above would flag its runs more often than once in a hundred. The second table is what
# matters for the lessons: a conclusion that held on one family and not on the other would be a
# statement about a CPU, not about the networks.

# %% [markdown]
# ## A dataset built for the kernel: classes that differ only in speed
#
# If the first kernel's size matters anywhere, it should be where the class *is* the size of the
# step between frames. The `speed` synthetic dataset (`mict synth --preset speed`; `mict train
# --synthetic speed` trains on it) has three classes in which the shape glides in a straight line
# and bounces off the walls at one of three speeds, each varied by ±10% per video. Direction,
# start, shape, colour and scene are drawn as for the motions, independently of the class. With
# three classes a group holds fewer videos, so the dataset has more groups; split 1 still tests on
# groups 1–7. Its two arms, MiCT-ResNet-18 with a 3×7×7 and with a 7×7×7 first kernel, train with
# the same recipe as above. The course does not train them live: every seed comes from the shipped
# sweep `kernel-speed` (`mict sweep kernel-speed` regenerates it). One video of each class, 16
# frames (the length of a training clip) at full size:

# %%
speed_config = synth_preset("speed")
strips = [(name, torch.from_numpy(render_video(speed_config, VideoSpec(name, group=1, clip=1, n_frames=16)))
           .permute(0, 3, 1, 2)) for name in SPEED_CLASSES]
save_figure(plot_filmstrips(strips, frames=8), "05_speed_classes")

# %%
speed_sweep = get_sweep("kernel-speed")
speed_labels = {arm.name: arm.label for arm in speed_sweep.arms}
speed_records = load_sweep("kernel-speed")
print(f"{len(speed_config.classes)} classes at {GLIDE_SPEEDS} pixels a frame, {speed_config.groups} groups; "
      f"{sum(len(r) for r in speed_records.values())} shipped records, {len(stale_records('kernel-speed'))} stale")
speed_accuracy = arm_table(speed_records, speed_labels)
save_figure(plot_arm_accuracy(speed_accuracy, "speed-only classes, shipped seeds (95% intervals)"),
            "05_speed_accuracy")
speed_accuracy[["label", "seeds", "videos", "mean", "sd", "low", "high"]].round(1)

# %%
speed_pairs = list(SPEED_PAIRS)
speed_differences = difference_table(speed_records, speed_pairs, speed_labels)
speed_differences["survives_losing_a_seed"] = survives_losing_a_seed(speed_records, speed_pairs, speed_labels)
for _, row in speed_differences.iterrows():
    print("·", row["verdict"] + caveats(row))
    results.record("speed_mict_k7_minus_mict_k3_low", row["low"])
    results.record("speed_mict_k7_minus_mict_k3_high", row["high"])
speed_differences[["comparison", "difference", "low", "high", "p_value", "mcnemar_p"]].round(3)

# %% [markdown]
# The printed sentence is this experiment's whole answer. If it says "more accurate", a dataset
# whose classes differ only in speed is one where the first kernel's size changes accuracy beyond
# its interval. If it says "cannot be told apart", then even here, with these seeds and test
# videos, no effect of the kernel's size can be told from noise. Compare the interval's width with
# the motions': this test split holds fewer videos (the `videos` column) and its seeds may spread
# more (the `sd` column); a real but small effect would have to clear that width.

# %% [markdown]
# ## The original's numbers, on their own axis
#
# The original measured its accuracy on UCF-101 (a 101-way problem, an ImageNet start, 120 epochs
# on a GPU) and its speed on a Titan RTX. Those numbers do not share an axis with ours. It reports
# one average over its three splits per arm, no seeds and no intervals; its split-to-split spread is
# only published for MiCT-ResNet-18 v2 on 16-frame clips (notebook 06's data), and that spread is
# drawn here as the uncertainty of each of its points:

# %%
original = reference.architectures().copy()
v2_at_16 = reference.clip_length().query("model == 'mict_resnet18' and frames == 16")["top1"]
split_sd = float(v2_at_16.std(ddof=1))
print(f"the original's top-1 over its 3 splits, MiCT-ResNet-18 v2 at 16 frames: {list(v2_at_16)} "
      f"(SD {split_sd:.2f} points)")
save_figure(plot_original_kernels(original, split_sd, "MiCT-ResNet-18 v2 at 16 frames"), "05_original")
original[["label", "top1", "top5", "fps"]]

# %% [markdown]
# The original's three kernels span the gain printed above; one split-to-split SD, printed with
# the figure, is of the same size. Its ordering (7 > 5 > 3 frames) is what its README reports;
# whether it would survive seeds and intervals, its data cannot say.
#
# ## What each costs
#
# Costs are measured on the architecture the original measured: full width (64 base channels), 101
# classes, one 16-frame 160×160 clip at a time; here on this machine's CPU, there on a Titan RTX.
# FLOPs come from `torch.utils.flop_counter` (a multiply-add counts 2).

# %%
costs = architecture_costs(sweep.arms, runs=BENCH_RUNS)
table = accuracy[["arm", "label", "mean", "low", "high"]].merge(costs.drop(columns="label"), on="arm")
by_arm = table.set_index("arm")
results.record("mict_k7_vs_resnet3d_cpu_fps_ratio", by_arm.loc["mict_k7", "cpu_fps"] / by_arm.loc["resnet3d", "cpu_fps"])
results.record("mict_k3_vs_k7_gflops_ratio", by_arm.loc["mict_k3", "gflops"] / by_arm.loc["mict_k7", "gflops"])
table.round(2)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, column, title in zip(axes, ("params_millions", "gflops", "cpu_fps"),
                             ("parameters (millions)", "GFLOPs per 16×160×160 clip", "CPU frames/s (batch 1)"),
                             strict=True):
    sns.barplot(table, y="label", x=column, ax=ax, color="tab:blue")
    ax.set(title=title, xlabel="", ylabel="")
fig.tight_layout()
save_figure(fig, "05_costs")

# %% [markdown]
# * **Parameters barely move with the kernel** (16.01M → 16.05M): the first convolution has only
#   3 input channels, so 4 more frames add 3·4·7·7·64 = 37,632 weights. The 3D-ResNet-18 has
#   twice MiCT's parameters: every 3×3 kernel became 3×3×3.
# * **FLOPs move a lot**: the first convolution runs at full resolution on every frame, so the
#   3×7×7 kernel needs the fraction of 7×7×7's FLOPs printed as `mict_k3_vs_k7_gflops_ratio` in
#   `build/results/05_kernel_size_ablation.json` (and the `gflops` column). This is why the original
#   found 3×7×7 faster on a GPU than 7×7×7.
# * **MiCT without 3D branches** is by far the cheapest, and **the frame ResNet** costs more FLOPs
#   than MiCT: it runs every frame through every stage.
#
# ## Your turn
#
# **Exercise 1 · Decide with an interval.** Complete `differ(correct_a, correct_b)`: given two arms'
# seeds × videos tables of correct answers (paired: row *s* is seed *s*, column *v* video *v*),
# return `True` when the 95% interval of the paired difference excludes zero, `False` when it does
# not. You may use `mict.stats.paired_difference`, or compute it yourself. The check tries pairs
# simulated with a known answer (`mict.stats.simulate_paired_arms`), including one where a 2-point
# difference is real but five seeds cannot see it.

# %%
def differ(correct_a, correct_b):
    return None  # your code here


check_differ(differ)

# %% tags=["solution"] jupyter={"source_hidden": true}
def differ_solution(correct_a, correct_b):
    interval = paired_difference(correct_a, correct_b).interval
    return not interval.low <= 0 <= interval.high


check_differ(differ_solution, strict=True)
rng = np.random.default_rng(0)
a, b, truth = simulate_paired_arms(rng, seeds=5, videos=318, accuracy_a=0.91, accuracy_b=0.89)
print(f"a real difference of {truth:.1f} points, 5 seeds × 318 videos: {paired_difference(a, b)}")

# %% [markdown]
# **Exercise 2.** Complete `stem_flops(kernel_time, frames, height, width, channels)`: the FLOPs
# of MiCT's first 3D convolution on one clip (stride 2 in space, stride 1 in time, time padded so
# that there are as many outputs as frames; a multiply-add is 2 FLOPs). Then compare
# with the `gflops` column: what fraction of the whole network is it?

# %%
def stem_flops(kernel_time, frames, height, width, channels):
    return None  # your code here


check_stem_flops(stem_flops)

# %% tags=["solution"] jupyter={"source_hidden": true}
def stem_flops_solution(kernel_time, frames, height, width, channels):
    outputs = channels * frames * (height // 2) * (width // 2)
    return 2 * outputs * 3 * kernel_time * 7 * 7


check_stem_flops(stem_flops_solution, strict=True)
for k in (3, 5, 7):
    share = stem_flops_solution(k, 16, 160, 160, 64) / 1e9 / by_arm.loc[f"mict_k{k}", "gflops"]
    print(f"{k}x7x7: the first 3D convolution is {100 * share:.0f}% of MiCT-ResNet-18's FLOPs")

# %% [markdown]
# ## Recap
#
# * An accuracy from one run is one draw; several seeds and the test videos give it an interval, and a
#   paired difference puts an interval on a comparison.
# * MiCT sees what networks without 3D convolutions cannot: the intervals of those comparisons are
#   far from zero.
# * The first kernel's size changes MiCT's parameters by a fraction of a percent but its FLOPs by
#   tens of percent; its effect on accuracy is what the printed verdicts say (and whether they
#   survive losing a seed), on the motions and on classes that differ only in speed, no more.
# * Float32 training on a CPU repeats itself on one CPU kind and thread count, and lands elsewhere on
#   another: a conclusion is about the networks only if the other CPU family's records draw it too.
# * Compare like with like: the original's speeds are GPU frames/s, ours CPU frames/s, its
#   accuracies came from one run per split, selected on the test split.
#
# ## Check your understanding
#
# 1. Why is the paired difference's interval narrower than the two arms' intervals suggest?
# 2. An interval for k7 − k3 is [−1.0, 3.0] points. Can you write "the kernel size does not matter"?
# 3. Why can a live run on your machine differ from the shipped seed 0, and what should you check?
# 4. Which layer makes the 3×7×7 kernel cheaper, and by about how much of the whole network?
#
# <details><summary>Answers</summary>
#
# 1. Hard videos and lucky seeds affect both arms alike; pairing removes that shared part.
# 2. No: only that the data cannot tell them apart. A true 3-point gain is compatible with them.
# 3. Float32 on another CPU family rounds differently and training amplifies it; check that the run
#    falls inside the shipped seeds' prediction band.
# 4. The stem's 3D convolution, at full resolution: the share exercise 2 prints for each kernel,
#    and `mict_k3_vs_k7_gflops_ratio` for the whole network.
#
# </details>
#
# **Next:** notebook 06 trains on 16 frames and tests on many: temporal stride and clip length.
