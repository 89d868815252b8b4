# %% [markdown]
# # 02 · Augmentation: which frames, which pixels
#
# A network for action recognition does not see a video: it sees a **clip**, a short stack of
# frames (16 here) cut out of the video and cropped to a square. How that clip is chosen decides
# what the network can learn. During training we choose it at random, so that every epoch shows a
# slightly different version of each video (augmentation); at test time we choose it the same way
# every time, so that the score is repeatable.
#
# *Study time: about 45 minutes, exercises included.*
#
# **Learning goals.** After this notebook you can
#
# 1. read a *temporal sampling* timeline: the down-sampling step, the random start, and the loop
#    when a video is too short; and tell training sampling from test sampling (the first N frames;
#    K clips spread over the video);
# 2. name every step of the training augmentation (resize, flip, corner/centre crop with an
#    independent width and height, saturation/brightness/contrast) and say what each does;
# 3. explain why **every frame of a clip must get the same transform**, and show what per-frame
#    randomness does instead (it invents motion);
# 4. describe the test-time preprocessing (resize to the base size, centre crop, ImageNet
#    normalisation) and compute its crop for any frame size;
# 5. justify the course's *quick* settings (no flip, step ≤ 2, milder crops) against the
#    original's *full* recipe: an augmentation must never change the label.
#
# Everything shown here is the code that trains the networks of notebooks 04–06:
# `mict.data.sampling` picks the frames and `mict.data.augment` transforms them.

# %% tags=["parameters"]
PROFILE = "quick"  # "full": UCF-101 (prepared with `mict prepare`)
RETRAIN = False  # unused here: this notebook trains nothing
FIGURES_ONLY = False
SEED = 0  # seeds every random draw below: change it to see other draws
VIDEO = "MoveLeft_g08_c01"  # part of a video's name; the first video is used when none matches

# %%
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import mict.course
from mict.config import make_config
from mict.course.viz import augmentation as viz
from mict.course.viz import save_figure
from mict.course.widgets.augmentation import AugmentationWidget
from mict.data import ClipDataset, EvalTransform, TrainTransform, load_manifest, read_frames, select_subset
from mict.data.sampling import first_frames, sample_training_frames, uniform_clips

course = mict.course.settings(PROFILE, retrain=RETRAIN, figures_only=FIGURES_ONLY)
config = course.train_config()
results = mict.course.Results("02_augmentation", PROFILE)
manifest = load_manifest(course.data_root)
train_videos = select_subset(manifest, config.split, "train")
matches = train_videos[train_videos["video"].str.contains(VIDEO, regex=False)]
video = (matches if len(matches) else train_videos).iloc[0]
print(f"profile {PROFILE}: {len(manifest)} videos in {course.data_root}")
print(f"the example video: {video['video']}, {video['n_frames']} frames of {video['width']}×{video['height']}")

# %% [markdown]
# The profile decides every size and range used below. The *quick* profile (the synthetic motion
# dataset, on a CPU) softens the original's recipe; the *full* profile is the original's recipe for
# UCF-101. We will meet each difference where it matters.

# %%
profiles = {"quick": make_config("quick"), "full": make_config("full")}
fields = ["frames", "max_step", "base_size", "crop_size", "crop_scales", "hflip", "colour_jitter"]
display(pd.DataFrame({name: [getattr(c, f) for f in fields] for name, c in profiles.items()}, index=fields))

# %% [markdown]
# ## 1 · Temporal sampling: which frames make a clip
#
# **Training** (as the original): keep every *s*-th frame of the video for a random step
# *s* ∈ {1, …, `max_step`}, then take 16 consecutive frames of that sequence from a random start.
# A larger step plays the action faster, so the step is a *speed* augmentation; the start picks
# which part of the action is seen. When the down-sampled sequence is shorter than 16 frames, it is
# **looped** (0 1 2 … 9 0 1 2 …) rather than padded.
#
# **Testing** draws nothing: the first 16 frames of the video (`first_frames`), or K clips whose
# starts are spread evenly from the first frame to the last (`uniform_clips`; the K predictions are
# averaged).
#
# Read each panel below as a staircase: x is the frame of the video, y the frame of the clip. The
# slope is 1/step, the x-offset is the start, a dotted jump back to the left is a loop. The grey
# strip at the bottom is the video, one dot per frame, coloured where a clip takes the frame.

# %%
generator = torch.Generator().manual_seed(SEED)
n, length = int(video["n_frames"]), config.frames
shortest = int(manifest["n_frames"].min())
looping = [sample_training_frames(shortest, length, generator, max_step=4) for _ in range(30)]
panels = [(f"training, {name} (step ≤ {c.max_step}): three draws", n,
           [sample_training_frames(n, length, generator, c.max_step) for _ in range(3)])
          for name, c in profiles.items()]
panels += [
    (f"training on the shortest video ({shortest} frames), step ≤ 4: a looped draw", shortest,
     [next(s for s in looping if s.looped)]),
    (f"testing: the first {length} frames", n, [first_frames(n, length)]),
    ("testing: 5 clips spread uniformly", n, uniform_clips(n, length, 5)),
]
fig = viz.plot_temporal_sampling(panels)
save_figure(fig, "02_temporal_sampling")

# %% [markdown]
# The same samples as numbers: `TemporalSample` records the frames taken and how they were chosen.

# %%
display(pd.DataFrame([{"panel": title, "step": s.step, "start": s.start, "looped": s.looped,
                       "frames": " ".join(map(str, s.indices))} for title, _, samples in panels for s in samples]))

# %% [markdown]
# **The step is a speed.** The same start, three steps: with step 4 the object covers four times
# the distance in 16 frames. A network trained on all of them learns the motion, not one speed.

# %%
speeds = [viz.fixed_sample(n, length, step) for step in (1, 2, 4)]
clips = [(f"step {s.step}\nframes {s.indices[0]}–{s.indices[-1]}" + (" (looped)" if s.looped else ""),
          read_frames(course.data_root / video["frames_dir"], s.indices)) for s in speeds]
fig = viz.plot_filmstrips(clips)
save_figure(fig, "02_downsampling_speed")

# %% [markdown]
# **Why the quick profile stops at step 2.** The synthetic videos are short (40–100 frames); the
# original's step 4 needs 61 frames or more for 16 frames without a loop. The table gives the share
# of training videos that would be looped at each step: a looped clip shows the motion jump back to
# its start, a motion no class has. UCF-101's videos last about 7 s (≈180 frames at 25 fps), so
# the full profile keeps the original's step 4.

# %%
share = {step: float((np.ceil(train_videos["n_frames"] / step) < length).mean() * 100) for step in (1, 2, 3, 4)}
display(pd.DataFrame({"step": list(share), "looped clips (% of training videos)": list(share.values())}))

# %% [markdown]
# ## 2 · Spatial augmentation, one step at a time
#
# The training transform (`TrainTransform`) draws its parameters **once per clip** (`draw`), then
# applies them to all frames at once (`apply`). `steps` returns every intermediate, so we can look
# at each: resize to the base height, (flip), crop at the centre or a corner with an independently
# drawn width and height, resize the crop to a square, then saturation, brightness and contrast.
# Rows are the first and the last frame of the clip: they change identically, and the object still
# moves between them.

# %%
transform = TrainTransform(config.crop_size, config.base_size, hflip=config.hflip, scales=config.crop_scales,
                           colour_jitter=config.colour_jitter)
generator = torch.Generator().manual_seed(SEED)
sample = sample_training_frames(n, length, generator, config.max_step)
clip = read_frames(course.data_root / video["frames_dir"], sample.indices)
_, params = transform(clip, generator)  # draws the parameters (and applies them)
print(sample, params, sep="\n")
fig = viz.plot_augmentation_steps(transform.steps(clip, params), params)
save_figure(fig, "02_augmentation_steps")

# %% [markdown]
# `steps` makes each stage with torchvision's functional ops, one new clip per stage. The data
# loader calls `apply` instead, which computes the same arithmetic in fewer passes: the crop as a
# slice of the frames, the colour in place on one float copy. Same clip, to the last bit:

# %%
gap = (transform.apply(clip, params, normalized=False) - transform.steps(clip, params)[-1][1]).abs().max()
print(f"largest difference between apply and the last stage of steps: {results.record('apply_vs_steps_max_gap', gap)}")

# %% [markdown]
# ### Crop positions and scales
#
# The crop sits at the centre or at one of the four corners (`crop_box`). Its width and its height
# are drawn **independently** from the crop sides, so a crop is usually not square; resizing it to a
# square then stretches the picture a little (an aspect-ratio augmentation). The original drew the
# sides from {128, 144, 160, 176, 192} pixels of a 192-pixel-high frame, i.e. from ⅔ of the height
# to all of it. We show both profiles, each on its own base size:
#
# * **full**: 256×192 frames, crops from 128 to 192 pixels, resized to 160×160;
# * **quick**: 72×54 frames, sides 160–192 of 192 (45, 50 or 54 pixels), resized to 48×48. The
#   synthetic objects are small and move across the whole frame; a ⅔ crop of a 54-pixel frame
#   (36 pixels) can leave the object outside for much of the clip, and a clip that does not show the
#   motion cannot show its label.

# %%
transforms = {name: TrainTransform(c.crop_size, c.base_size, hflip=c.hflip, scales=c.crop_scales,
                                   colour_jitter=c.colour_jitter) for name, c in profiles.items()}
for name, t in transforms.items():
    print(f"{name}: crop sides {t.crop_sides} pixels of a {t.base_size}-pixel-high frame → {t.crop_size}×{t.crop_size}")
fig = viz.plot_crop_positions(clip[0], transforms, torch.Generator().manual_seed(SEED))
save_figure(fig, "02_crop_positions")

# %% [markdown]
# ### Colour jitter
#
# Three factors, each drawn from [1 − j, 1 + j] and applied in the original's order: saturation
# (0 is grey, 1 unchanged), brightness (a multiplication), contrast (a blend with the mean grey).
# The original's j = 0.5 gives [0.5, 1.5]. The quick profile uses a milder j = 0.3, [0.7, 1.3],
# in line with its milder crops: its small objects sit on low-contrast textures, and three factors
# near 0.5 at once (grey, dark, flat) leave little of them to see. Each title says which profile
# can draw that factor.

# %%
fig = viz.plot_colour_jitter(clip[0], {name: c.colour_jitter for name, c in profiles.items()})
save_figure(fig, "02_colour_jitter")

# %% [markdown]
# ### Horizontal flips must keep the label
#
# The original flips half of its clips left–right: a mirrored person playing the guitar still
# plays the guitar, so UCF-101's labels survive a flip. The synthetic classes do not: they are
# *directions*. Flip a MoveLeft clip and you get a MoveRight clip, still labelled MoveLeft, so
# the network would be taught that both directions are the same class. Likewise
# RotateClockwise ↔ RotateAnticlockwise. The quick profile therefore sets `hflip=False`.
# **Rule: an augmentation must produce a clip that could carry the same label.**

# %%
synthetic = mict.course.settings("quick").data_root
if (synthetic / "manifest.csv").is_file():
    synthetic_train = select_subset(load_manifest(synthetic), 1, "train")
    left, right = (synthetic_train[synthetic_train["class_name"] == c].iloc[0] for c in ("MoveLeft", "MoveRight"))
    left_clip = read_frames(synthetic / left["frames_dir"], first_frames(int(left["n_frames"]), length).indices)
    right_clip = read_frames(synthetic / right["frames_dir"], first_frames(int(right["n_frames"]), length).indices)
    fig = viz.plot_filmstrips([("MoveLeft", left_clip), ("MoveLeft, flipped\n(label: MoveLeft?)", left_clip.flip(-1)),
                               ("MoveRight", right_clip)])
    save_figure(fig, "02_flip_changes_the_label")

# %% [markdown]
# ## 3 · One transform for the whole clip
#
# A network that compares frames will find *any* difference between them, including one we made.
# A crop that moves from frame to frame looks like a camera shake; colours that change look like
# flicker. Both are motion that is not in the video. So `TrainTransform` draws once and applies the
# same crop, flip and factors to every frame.
#
# Two checks. First, a **static clip** (one real frame repeated 16 times) must stay static: the
# change between consecutive frames is exactly 0 after augmentation, while a per-frame random draw
# (`viz.augment_per_frame`, what the library does *not* do) makes it jump. Second, augmenting the
# clip at once and augmenting each frame alone with the same parameters give identical pixels
# (the largest difference is 0).

# %%
static = clip[:1].expand(length, -1, -1, -1).contiguous()
generator = torch.Generator().manual_seed(SEED)
rows = {"static clip,\none draw": transform.apply(static, params, normalized=False),
        "static clip,\na draw per frame": viz.augment_per_frame(transform, static, generator),
        "real clip,\none draw": transform.apply(clip, params, normalized=False),
        "real clip,\na draw per frame": viz.augment_per_frame(transform, clip, generator)}
fig = viz.plot_consistent_vs_per_frame(rows)
save_figure(fig, "02_consistent_vs_per_frame")
for name, augmented in rows.items():
    print(f"{name.replace(chr(10), ' '):32s} mean change between frames {viz.frame_to_frame_change(augmented).mean():.4f}")

# %%
static_change = results.record("static_clip_max_change", viz.frame_to_frame_change(rows["static clip,\none draw"]).max())
mismatch = results.record("clip_vs_frame_max_difference", viz.per_frame_mismatch(transform, clip, params))
print(f"largest change inside the augmented static clip: {static_change}")
print(f"largest difference, whole clip vs frame by frame: {mismatch}")
assert static_change == 0 and mismatch == 0

# %% [markdown]
# The real clip with one draw changes between frames only as much as the object moves (the
# real-clip curves differ from the static ones by that motion); with a draw per frame, the invented
# change is many times larger than the real motion, and a network would have to learn to ignore it.
#
# ## 4 · Test-time preprocessing
#
# At test time nothing is random: `EvalTransform` resizes the frame to the base height (keeping
# its aspect ratio), takes the **centre** crop, and normalises each channel with ImageNet's mean
# and standard deviation, the statistics the ImageNet-pretrained weights of the full profile
# expect. The histograms show the result: values centred near 0 with a spread near 1 (for
# ImageNet-like pictures; the synthetic frames are greyer, hence narrower).

# %%
eval_transforms = {name: EvalTransform(c.crop_size, c.base_size) for name, c in profiles.items()}
fig = viz.plot_test_preprocessing(clip[0], eval_transforms)
save_figure(fig, "02_test_preprocessing")

# %% [markdown]
# ## 5 · It is the pipeline that trains the networks
#
# `ClipDataset` makes the clips of notebooks 04–06 with exactly these pieces. With
# `return_info=True` it also says what it drew: the temporal sample and the augmentation. Re-applying
# them by hand rebuilds the same tensor, and the test subset gives K×C×T×H×W with `sampling="uniform"`.

# %%
options = dict(split=config.split, frames=config.frames, crop_size=config.crop_size, base_size=config.base_size)
train_set = ClipDataset(course.data_root, subset="train", hflip=config.hflip, crop_scales=config.crop_scales,
                        colour_jitter=config.colour_jitter, max_step=config.max_step, seed=SEED, return_info=True,
                        **options)
item, label, info = train_set[0]
print(info.video, info.samples[0], info.augmentation, sep="\n")
frames = read_frames(course.data_root / train_set.videos["frames_dir"][0], info.samples[0].indices)
print("rebuilt by hand:", torch.equal(item, train_set.transform.apply(frames, info.augmentation)))
test_set = ClipDataset(course.data_root, subset="test", sampling="uniform", clips=5, **options)
print("a test item with 5 uniform clips:", tuple(test_set[0][0].shape))

# %% [markdown]
# ## 6 · Explore
#
# Every parameter that training draws at random is a control here: the video, the step and start
# of the sampling (the start counts frames of the down-sampled sequence, and stops at the last start
# from which 16 frames fit, as the random draw does), the crop's position, width and height, the
# three colour factors and the flip.
# Things to try: pick the shortest video (the last one) and raise the step until the clip loops;
# make the crop tall and narrow and watch the stretch; flip a MoveLeft clip. (In a static render of
# this notebook you see the default state below.)

# %%
widget = AugmentationWidget(course.data_root, viz.example_videos(train_videos), config)
display(widget)
save_figure(widget.render_default(), "02_widget_default")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1 · Loop a too-short sequence
#
# A video of 40 frames down-sampled by 4 keeps 10 frames: `[0, 4, 8, …, 36]`. Complete
# `loop_to_length(indices, length)` so that it repeats `indices` cyclically until there are
# `length` of them (and keeps only the first `length` when there are more).

# %%
from mict.course.exercises.augmentation import check_crop_box, check_loop_to_length, check_test_time_crop


def loop_to_length(indices, length):
    """indices repeated cyclically to `length` frames: [0, 1, 2], 7 → [0, 1, 2, 0, 1, 2, 0]."""
    # YOUR CODE HERE
    return None


# %%
check_loop_to_length(loop_to_length)


# %% tags=["solution"] jupyter={"source_hidden": true}
def loop_to_length_solution(indices, length):
    """indices repeated cyclically to `length` frames: [0, 1, 2], 7 → [0, 1, 2, 0, 1, 2, 0]."""
    return [indices[i % len(indices)] for i in range(length)]


check_loop_to_length(loop_to_length_solution, strict=True)

# %% [markdown]
# ### Exercise 2 · The crop box of a corner crop
#
# Complete `crop_box_of(position, crop_height, crop_width, height, width)`: the
# `(top, left, height, width)` of a crop of `crop_height`×`crop_width` pixels at `position`
# (`"center"`, `"top_left"`, `"top_right"`, `"bottom_left"` or `"bottom_right"`) in a
# `height`×`width` frame. For the centre, use `height // 2 - crop_height // 2` (and the same for
# the width), as the library does.

# %%
def crop_box_of(position, crop_height, crop_width, height, width):
    """(top, left, crop_height, crop_width) of the crop at `position`."""
    # YOUR CODE HERE
    return None


# %%
check_crop_box(crop_box_of)


# %% tags=["solution"] jupyter={"source_hidden": true}
def crop_box_of_solution(position, crop_height, crop_width, height, width):
    """(top, left, crop_height, crop_width) of the crop at `position`."""
    if position == "center":
        return (height // 2 - crop_height // 2, width // 2 - crop_width // 2, crop_height, crop_width)
    top = 0 if position.startswith("top") else height - crop_height
    left = 0 if position.endswith("left") else width - crop_width
    return (top, left, crop_height, crop_width)


check_crop_box(crop_box_of_solution, strict=True)

# %% [markdown]
# ### Exercise 3 · The test-time crop of a 320×240 frame
#
# Complete `test_time_crop(width, height, base_size, crop_size)`: return the frame's size after
# resizing it to `base_size` pixels high, as `(width, height)` (the width is truncated to an
# integer, as `int(...)` does), and the `(top, left, height, width)` of the centre crop in that
# resized frame. Torchvision's centre crop puts the top at `round((H - crop) / 2)` (and the left
# likewise). For a 320×240 frame in the full profile (base 192, crop 160), what part of the
# original frame does the network see?

# %%
def test_time_crop(width, height, base_size, crop_size):
    """((resized width, resized height), (top, left, crop_size, crop_size))."""
    # YOUR CODE HERE
    return None


# %%
check_test_time_crop(test_time_crop)


# %% tags=["solution"] jupyter={"source_hidden": true}
def test_time_crop_solution(width, height, base_size, crop_size):
    """((resized width, resized height), (top, left, crop_size, crop_size))."""
    resized_width = int(width * base_size / height)
    top, left = round((base_size - crop_size) / 2), round((resized_width - crop_size) / 2)
    return (resized_width, base_size), (top, left, crop_size, crop_size)


check_test_time_crop(test_time_crop_solution, strict=True)
(width, height), (top, left, crop, _) = test_time_crop_solution(320, 240, 192, 160)
print(f"320×240 → {width}×{height}, crop at ({top}, {left}): the network sees the central "
      f"{crop * 240 / 192:.0f}×{crop * 240 / 192:.0f} pixels of the original frame")

# %% [markdown]
# ## Recap
#
# * **Temporal sampling.** Training keeps every *s*-th frame (s random in 1…`max_step`), takes 16
#   consecutive frames from a random start, and loops a sequence that is too short. Testing takes
#   the first 16 frames, or K clips spread uniformly. The step is a speed augmentation.
# * **Spatial augmentation** is drawn once per clip and applied to every frame: resize to the base
#   height, flip (full profile only), a centre or corner crop with independent width and height,
#   resized to a square, then saturation, brightness and contrast factors.
# * **Consistency is the point.** A static clip stays static after augmentation (change 0); per-frame
#   draws invent motion that a video network would try to explain.
# * **Test time** is deterministic: resize to the base height, centre crop, ImageNet normalisation.
# * **Augmentation must keep the label.** The quick profile drops the flip (MoveLeft ↔ MoveRight),
#   keeps the step ≤ 2 (its videos are short: step 4 would loop a third of them) and uses milder
#   crops and colour jitter (small objects on low-contrast textures); the full profile keeps the
#   original's recipe for UCF-101.
#
# ## Check your understanding
#
# 1. A 40-frame video is sampled for training with step 3. How many distinct frames can a 16-frame
#    clip hold, and what happens to the rest of the clip?
# 2. Why does a random crop per frame, instead of per clip, hurt a video network more than an image
#    network?
# 3. Why does the quick profile turn the horizontal flip off, when the original's recipe keeps it?
# 4. At test time, which part of a 320×240 UCF-101 frame does a 160-pixel crop of a 192-pixel-high
#    frame show?
#
# <details><summary>Answers</summary>
#
# 1. Every third frame of 40 gives 14 frames; the clip loops them to 16 (its last two repeat its
#    first two).
# 2. It moves the content from frame to frame: camera shake that a 3D convolution tries to explain as
#    motion.
# 3. Its classes have a direction: a flipped *MoveLeft* clip is a *MoveRight* one, so the flip would
#    change the label. UCF-101's actions are (mostly) the same mirrored.
# 4. The central 200×200 pixels (160 × 240/192), after resizing to 256×192: the last cell printed it.
#
# </details>
#
# **Next:** notebook 03 builds the network that eats these clips: the Mixed Convolutional Tube.
