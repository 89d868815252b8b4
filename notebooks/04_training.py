# %% [markdown]
# # 04 · Training MiCT-ResNet-18, and what temporal modelling buys
#
# *Study time: about 60 minutes, exercises included (the first run trains three models: a few CPU
# minutes).*
#
# **Learning goals**
#
# * train MiCT-ResNet-18 with the course's *quick* profile and read its learning curves, learning
#   rate included;
# * see what a checkpoint holds and resume a run exactly where it stopped;
# * evaluate on the test split: top-1/top-5, per-class accuracy, the confusion matrix and a
#   gallery of predictions;
# * train two baselines with the same recipe, MiCT **without its 3D branches** (its 2D path, with
#   the same temporal subsampling) and the **frame ResNet** (a 2D ResNet on every frame, through
#   every stage), and see what each comparison measures;
# * write one training step yourself and check it against the library's;
# * know the exact commands that reproduce the original's UCF-101 experiments on a GPU.
#
# Trained models are cached in `build/runs/` by their whole configuration and the version of the
# training code: the first run of this notebook trains, later runs reuse the result.

# %% tags=["parameters"]
PROFILE = "quick"  # "full": UCF-101 on a GPU with the original's recipe
RETRAIN = False  # True: train again instead of reusing build/runs
FIGURES_ONLY = False  # True: never train, only redraw figures from cached runs
GALLERY_SEED = 0

# %%
import pandas as pd
import torch

import mict
import mict.paths
from mict import reference
from mict.bench import count_flops, measure_latency
from mict.course import Results, get_run, settings
from mict.course.analysis.probes import frame_vs_clip_scores
from mict.course.analysis.schedule import learning_rate_schedule, warmup_epochs
from mict.course.exercises.build import check_training_step
from mict.course.exercises.training import check_epoch_accuracy, check_top_k_correct
from mict.course.viz import save_figure
from mict.course.viz.results import (
    plot_confusions,
    plot_learning_curves,
    plot_per_class,
    prediction_gallery,
)
from mict.data import ClipDataset
from mict.evaluate import evaluate
from mict.models import get_model
from mict.train import train

course = settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
results = Results("04_training", PROFILE)
print(f"mict {mict.__version__}, profile {course.profile}, data {course.data_root}")

# %% [markdown]
# ## The recipe
#
# The *quick* profile is a scaled-down version of the original's recipe that trains on a laptop
# CPU in minutes: a MiCT-ResNet-18 with 16 base channels instead of 64, 48×48 crops of 72×54
# frames instead of 160×160 crops of 256×192, and AdamW with a one-cycle schedule, which
# reaches a good accuracy in 16 short epochs where the original's SGD needed 120. The clips are
# still 16 frames and the architecture is exactly MiCT's. Every value is a field of
# `TrainConfig`, and a flag of `mict train`.

# %%
config = course.train_config()
pd.Series(config.to_dict()).drop(["extra", "out", "data"]).astype(str).to_frame(f"{course.profile} profile")

# %% [markdown]
# ## Train (or reuse the cached run)
#
# `get_run` trains into `build/runs/<model>-<key>` unless that run is already complete. The
# model kept for testing is `best.pt`, chosen on the **validation groups** carved out of the
# training list, never on the test split (which the original used for that choice).
#
# *Predict first:* the synthetic classes differ only by motion, and chance is 10%. After how many
# of the 16 epochs will validation accuracy pass 50%? Will validation accuracy ever be *higher*
# than training accuracy?

# %%
mict_run = get_run(config, course)
mict_run.history.round(3)

# %%
training_clips = len(ClipDataset(course.data_root, split=config.split, subset="train", frames=config.frames,
                                 crop_size=config.crop_size, base_size=config.base_size))
schedule = learning_rate_schedule(config, steps_per_epoch=training_clips // config.batch_size)
peak = warmup_epochs(schedule)
above_half = mict_run.history.loc[mict_run.history["val_top1"] > 50, "epoch"]
first_above_half = int(above_half.iloc[0]) if len(above_half) else None
val_above_train = mict_run.history.loc[mict_run.history["val_top1"] > mict_run.history["train_top1"], "epoch"]
print(f"the learning rate rises for the first {peak:.1f} epochs (one-cycle warm-up), then decays")
print(f"validation top-1 first passes 50% after epoch {first_above_half}")
print(f"validation top-1 is above training top-1 after epochs {list(val_above_train)}")
fig = plot_learning_curves({"MiCT-ResNet-18": mict_run.history}, schedule)
save_figure(fig, "04_learning_curves")

# %% [markdown]
# **The flat start.** For the first epochs the accuracy hardly moves. Two things happen at once
# there, and this run cannot separate them: the learning rate is still climbing (the one-cycle
# warm-up, third panel), and the network has not yet found what separates the classes, motion.
# The printout above gives the epoch where validation passes 50% next to the end of the warm-up; a
# run with a shorter warm-up (`mict train --warmup-epochs 1`) would tell how much is the schedule.
#
# **Validation above training.** Where the printout lists epochs, validation accuracy beat training
# accuracy. That is no contradiction: a training clip is augmented (a random crop of a random
# size, colour jitter, a random temporal down-sampling), dropout is on, and the training accuracy
# is averaged over an epoch during which the weights improve; a validation clip is the centre crop
# of the first 16 frames, seen by the end-of-epoch model with dropout off. The validation scenes
# are new to the network, so validation accuracy measures what carries to unseen groups.
#
# ## Checkpoints and resuming
#
# Every epoch writes `last.pt`, and `best.pt` when validation improves, each to a temporary file
# then renamed, so a crash never leaves half a checkpoint. A checkpoint holds everything needed
# to continue *exactly*: weights, optimizer and scheduler state, the random generators' states
# and the position in the epoch (Ctrl-C saves `interrupted.pt` mid-epoch).

# %%
checkpoint = torch.load(mict_run.run_dir / "last.pt", weights_only=True, map_location="cpu")
pd.DataFrame({"holds": [type(v).__name__ for v in checkpoint.values()]}, index=pd.Index(list(checkpoint),
                                                                                        name="entry"))

# %% [markdown]
# A small demonstration with a tiny model (width 4, two epochs): one run goes straight through,
# another stops after the first epoch and is resumed. On the same machine and thread count the two
# end with the same weights, bit for bit, because augmentation depends only on (seed, epoch, clip)
# and shuffling only on (seed, epoch). (Another CPU family does its float32 arithmetic in another
# order and ends elsewhere: notebooks 05 and 06 deal with that.)

# %%
if not course.figures_only:
    demo = dict(width=4, epochs=2, frames=8, crop_size=32)
    runs = mict.paths.build_dir() / "runs"
    straight = train(course.train_config(**demo, out=str(runs / "resume-demo-straight")), overwrite=True,
                     progress=False)
    stopped = course.train_config(**demo, out=str(runs / "resume-demo-stopped"))
    train(stopped, overwrite=True, progress=False, stop_after_epoch=1)
    resumed = train(stopped, resume=True, progress=False)
    weights = [torch.load(r.run_dir / "last.pt", weights_only=True)["model"] for r in (straight, resumed)]
    identical = all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    print(f"identical weights after resuming: {identical}")
    assert identical

# %% [markdown]
# ## Test: how good is it, and where does it fail?
#
# As in the original's `test.py`, each test video is scored on its first 16 frames, centre crop.

# %%
mict_model = mict_run.load_model()
test_options = dict(split=config.split, frames=config.frames, crop_size=config.crop_size,
                    base_size=config.base_size, progress=False)
mict_test = evaluate(mict_model, course.data_root, **test_options)
results.record("mict_test_top1", mict_test.summary["top1"])
results.record("mict_test_top5", mict_test.summary["top5"])
pd.DataFrame([mict_test.summary])

# %%
test_set = ClipDataset(course.data_root, split=config.split, subset="test", frames=config.frames,
                       crop_size=config.crop_size, base_size=config.base_size)
generator = torch.Generator().manual_seed(GALLERY_SEED)
wrong = mict_test.predictions.index[~mict_test.predictions["correct1"]].tolist()
right = mict_test.predictions.index[mict_test.predictions["correct1"]].tolist()
picks = [right[i] for i in torch.randperm(len(right), generator=generator)[:4].tolist()]
picks += [wrong[i] for i in torch.randperm(len(wrong), generator=generator)[:2].tolist()]
fig = prediction_gallery(test_set, mict_test.predictions, picks)
save_figure(fig, "04_prediction_gallery")

# %% [markdown]
# The gallery shows four clips picked at random among the correct ones and two among the
# mistakes (fewer if there are fewer), with the top-5 classes (green: the true class).
#
# ## Two baselines, and what each comparison measures
#
# What do the 3D branches buy? Two networks without any 3D convolution, trained with exactly the
# same recipe, answer two different questions:
#
# * **MiCT without its 3D branches** (`mict_resnet18_2d`): MiCT-ResNet-18's 2D path alone, with
#   the same temporal subsampling (the stem's 2D branch on frames 0, 2, 4, …; each stage's first
#   block on every 1st, 2nd, … of those). Against it, MiCT's accuracy is *what the 3D branches add*,
#   like with like.
# * **The frame ResNet-18** (`frame_resnet18`): a 2D ResNet-18 on *every* frame, through *every*
#   stage, logits averaged over time: the common "bag of frames" baseline.
#
# Neither can see motion: without a 3D convolution nothing in the network compares frames. They
# do not cost the same, though, and "cheaper" needs saying in which currency. Counted at the
# original's test input (width 64, one 16×160×160 clip), FLOPs and CPU milliseconds:

# %%
costs = []
for name in ("mict_resnet18", "mict_resnet18_2d", "frame_resnet18"):
    torch.manual_seed(0)
    network = get_model(name).eval()
    clip = torch.randn(1, 3, 16, 160, 160)
    milliseconds = 1e3 * pd.Series(measure_latency(network, clip, runs=3, warmup=1)).median()
    costs.append({"model": name, "GFLOPs per clip": count_flops(network, clip) / 1e9, "CPU ms per clip": milliseconds})
costs = pd.DataFrame(costs).set_index("model")
results.record("frame_vs_mict_flops_ratio", costs.loc["frame_resnet18", "GFLOPs per clip"]
               / costs.loc["mict_resnet18", "GFLOPs per clip"])
costs.round(1)

# %% [markdown]
# In FLOPs the frame ResNet costs *more* than MiCT, because it runs 16 frames through every stage
# where MiCT's 2D path keeps fewer and fewer; MiCT without its 3D branches is the cheapest. CPU
# milliseconds (this machine's, a few runs) need not follow the FLOPs: 2D convolutions are the
# best-tuned kernels a CPU has, and half of MiCT's FLOPs are its 3D stem. Say which cost you mean.
#
# *Predict first:* both baselines see the same pixels as MiCT. How far above chance (10%) will
# each get on the test split?

# %%
two_d_run = get_run(course.train_config(model="mict_resnet18_2d"), course)
frame_run = get_run(course.train_config(model="frame_resnet18"), course)
two_d_test = evaluate(two_d_run.load_model(), course.data_root, **test_options)
frame_model = frame_run.load_model()
frame_test = evaluate(frame_model, course.data_root, **test_options)
results.record("mict2d_test_top1", two_d_test.summary["top1"])
results.record("frame_test_top1", frame_test.summary["top1"])
results.record("three_d_gain_points", mict_test.summary["top1"] - two_d_test.summary["top1"])
results.record("temporal_gain_points", mict_test.summary["top1"] - frame_test.summary["top1"])
pd.DataFrame([mict_test.summary, two_d_test.summary, frame_test.summary],
             index=["MiCT-ResNet-18", "MiCT without 3D branches", "frame ResNet-18"])

# %%
histories = {"MiCT-ResNet-18": mict_run.history, "MiCT without 3D branches": two_d_run.history,
             "frame ResNet-18": frame_run.history}
fig = plot_learning_curves(histories)
save_figure(fig, "04_learning_curves_frame_vs_mict")
final = pd.DataFrame({name: history.iloc[-1][["train_top1", "val_top1"]] for name, history in histories.items()}).T
final.round(1)

# %% [markdown]
# Both baselines stay near chance on validation and test, a single run each (notebook 05 repeats
# every arm with several seeds and puts intervals on these numbers). Their *training* accuracy is
# another story: look at the last epoch above. A network that cannot see motion can still learn the
# training set, by recognising **scenes**: each training group's background, shape and colour,
# which are shared by that group's clips and by no test group's. That is notebook 01's group leak,
# from the inside: with a random split, those memorised scenes would reappear in the test set and
# the frame ResNet would look like an action classifier.

# %%
fig = plot_per_class({"MiCT-ResNet-18": mict_test.per_class, "MiCT without 3D branches": two_d_test.per_class,
                      "frame ResNet-18": frame_test.per_class})
save_figure(fig, "04_per_class_accuracy")

# %%
fig = plot_confusions({"MiCT-ResNet-18": mict_test.confusion, "frame ResNet-18": frame_test.confusion})
save_figure(fig, "04_confusion_matrices")

# %% [markdown]
# The synthetic dataset draws everything a single frame shows (background, shape, colour, size,
# position) the same way for every class, so a bag of frames sees a shape in several places or
# angles, but not in which *order*: *MoveLeft* and *MoveRight* are the same bag, so are *ZoomIn*
# and *ZoomOut*, and a clockwise turn and its reverse. Playing a clip backwards shows it directly:

# %%
index = int(test_set.videos.index[test_set.videos["class_name"] == "MoveLeft"][0])
scores = {"MiCT-ResNet-18": frame_vs_clip_scores(mict_model, test_set, index),
          "frame ResNet-18": frame_vs_clip_scores(frame_model, test_set, index)}
print(f"a {test_set.videos['class_name'][index]} clip, played forwards and backwards (probabilities in %):")
pd.concat(scores, axis=1).round(1)

# %% [markdown]
# The frame ResNet gives exactly the same scores both ways, whatever they are: averaging over
# frames forgets their order. MiCT's scores change when the clip is played backwards. On UCF-101
# many actions can also be guessed from one frame (a swimming pool, a horse), which is why the
# synthetic dataset is the clearer test of temporal modelling.
#
# ## Your turn
#
# **Exercise 1.** Complete `top_k_correct(logits, labels, k)`: how many rows have their label
# among their `k` highest scores? (Hint: `Tensor.topk`.)

# %%
def top_k_correct(logits, labels, k):
    return None  # your code here


check_top_k_correct(top_k_correct)

# %% tags=["solution"] jupyter={"source_hidden": true}
def top_k_correct_solution(logits, labels, k):
    top = logits.topk(k, dim=1).indices
    return int((top == labels.unsqueeze(1)).any(dim=1).sum())


check_top_k_correct(top_k_correct_solution, strict=True)

# %% [markdown]
# **Exercise 2.** An epoch's accuracy from `(correct, batch_size)` pairs. The last batch is
# often partial: why is the mean of the batch accuracies wrong?

# %%
def epoch_accuracy(batches):
    return None  # your code here


check_epoch_accuracy(epoch_accuracy)

# %% tags=["solution"] jupyter={"source_hidden": true}
def epoch_accuracy_solution(batches):
    return 100 * sum(correct for correct, _ in batches) / sum(size for _, size in batches)


check_epoch_accuracy(epoch_accuracy_solution, strict=True)

# %% [markdown]
# **Exercise 3 · One training step.** Complete `training_step(model, optimizer, clips, labels)` for
# a batch of N×3×T×H×W clips: the cross-entropy of the model's logits and the labels, its gradients,
# one optimiser step; return the loss as a float. The check runs two steps of yours and two of the
# library's (`mict.train.optimisation_step`, what `mict train` runs) from the same weights, and
# compares losses and weights after each.

# %%
def training_step(model, optimizer, clips, labels):
    return None  # your code here


check_training_step(training_step)

# %% tags=["solution"] jupyter={"source_hidden": true}
def training_step_solution(model, optimizer, clips, labels):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(clips), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


check_training_step(training_step_solution, strict=True)

# %% [markdown]
# ## On UCF-101 with a GPU: the full profile
#
# The same code runs the original's recipe (SGD, lr 1e-2, momentum 0.9, weight decay 5e-4,
# batch 112, 16-frame 160×160 crops of 256×192 frames, dropout 0.5, ImageNet initialisation;
# MiCT-ResNet-18 for 120 epochs with the lr divided by 10 at epoch 80, 3D-ResNet-18 for 90
# epochs with steps at 40 and 80):
#
# ```bash
# mict prepare --root /path/to/UCF101 --out data/ucf101/prepared          # once, ~13,320 videos
# mict train --profile full --model mict_resnet18 --split 1               # one GPU, bf16/fp16 AMP
# mict train --profile full --model resnet3d_18 --split 1
# torchrun --nproc_per_node=4 -m mict train --profile full --split 1      # four GPUs (DDP)
# mict test --checkpoint build/runs/<run>/best.pt --long 16,35,75,150,300 --clips 10
# mict predict some_video.mp4 --checkpoint build/runs/<run>/best.pt       # any video file
# ```
#
# (ImageNet weights download through torchvision on first use; offline, the error says which
# file to put where.) The original's figures to compare with:

# %%
reference.architectures()

# %%
reference.released_weights()

# %% [markdown]
# Remember the caveat: the original kept its best epoch *on the test split*, which makes these
# numbers optimistic; our runs select on validation groups.
#
# ## Recap
#
# * The quick profile trains MiCT-ResNet-18 on the synthetic motions in a few CPU minutes; the
#   checkpoints make every run resumable to the bit on the same machine.
# * Model selection uses validation groups carved from the training list, never the test split.
# * MiCT without its 3D branches is the like-for-like baseline: it measures what the 3D branches add.
#   The frame ResNet is the bag-of-frames baseline, with more FLOPs than MiCT. Neither sees motion,
#   and both learn the training *scenes* instead.
#
# ## Check your understanding
#
# 1. Why is `best.pt` chosen on validation groups and not on the test split?
# 2. Two things coincide with the flat start of the learning curves. Which, and how would you tell
#    them apart?
# 3. The frame ResNet reaches a high training accuracy on classes it cannot tell apart. How?
# 4. Which baseline answers "what do MiCT's 3D branches add?", and why not the other?
#
# <details><summary>Answers</summary>
#
# 1. A choice made on the test split is fitted to it: the reported accuracy is then optimistic,
#    which is the original's caveat.
# 2. The learning-rate warm-up and the network finding motion; a run with a shorter warm-up would
#    show how much of the flat start is the schedule.
# 3. It memorises each training group's scene, which no test group shares: the group leak of
#    notebook 01.
# 4. MiCT without its 3D branches: the same network, the same temporal subsampling, the same
#    recipe, minus the 3D branches. The frame ResNet also differs in how many frames each stage sees.
#
# </details>
#
# **Next:** notebook 05 asks how many frames the first 3D kernel should see, with several seeds and
# confidence intervals.
