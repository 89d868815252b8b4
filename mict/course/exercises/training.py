"""Checks for the exercises of notebooks 04–06: training, evaluation and the two ablations."""

import math

import torch

from . import run_check


def check_top_k_correct(fn, strict: bool = False):
    """fn(logits, labels, k) -> how many rows have their label among their k highest scores."""
    logits = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.35, 0.25]])
    labels = torch.tensor([1, 2, 2, 1])
    cases = []
    for k, expected in ((1, 2), (2, 3), (3, 4)):
        got = fn(logits, labels, k)
        cases.append((f"k={k} on the 4-clip example", None if got is None else int(got), expected))
    return run_check("top-k correct", cases, strict)


def check_epoch_accuracy(fn, strict: bool = False):
    """fn(batches) -> accuracy in % over every clip, from (correct, batch size) pairs; the last
    batch may be partial, so batch accuracies must not be averaged directly."""
    batches = [(15, 16), (12, 16), (1, 4)]
    got = fn(batches)
    naive = 100 * sum(c / n for c, n in batches) / len(batches)
    cases = [("weighted by batch size", got, 100 * 28 / 36)]
    result = run_check("accuracy over an epoch", cases, strict=strict)
    if result.attempted and not result.passed and math.isclose(got, naive, rel_tol=1e-6):
        result.messages.append("that is the mean of the per-batch accuracies: the 4-clip batch counts as "
                               "much as a full one")
    return result


def check_stem_flops(fn, strict: bool = False):
    """fn(kernel_time, frames, height, width, channels) -> FLOPs of MiCT's first 3D convolution on one
    clip: (frames) × (height/2) × (width/2) outputs per channel, each 3·k·7·7 multiply-adds (2 FLOPs)."""
    cases = []
    for k, t, h, w, c in ((7, 16, 160, 160, 64), (3, 16, 160, 160, 64), (7, 16, 64, 64, 16)):
        expected = 2 * c * 3 * k * 7 * 7 * t * (h // 2) * (w // 2)
        cases.append((f"k={k}, {t}×{h}×{w}, {c} channels", fn(k, t, h, w, c), expected))
    return run_check("FLOPs of the first 3D convolution", cases, strict)


def check_average_clips(fn, strict: bool = False):
    """fn(logits K×C) -> the video's class: the argmax of the mean of the clips' softmax probabilities."""
    logits = torch.tensor([[10.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 2.0, 0.0]])
    # Averaging logits would say class 0; averaging probabilities says class 1.
    got = fn(logits)
    return run_check("video prediction from K clips", [("mean of softmax probabilities", got, 1)], strict)


def check_differ(fn, strict: bool = False):
    """fn(correct_a, correct_b) -> whether the 95% interval of the paired difference excludes zero, on arms
    simulated with a known answer (`mict.stats.simulate_paired_arms`)."""
    import numpy as np

    from mict.stats import paired_difference, simulate_paired_arms

    cases = []
    for description, accuracy_a, accuracy_b, seed in (
            ("a 10-point difference, 5 seeds × 318 videos", 0.9, 0.8, 0),
            ("no difference at all", 0.88, 0.88, 1),
            ("a real 2-point difference that 5 seeds cannot resolve", 0.90, 0.88, 3),
            ("arm b better by 12 points", 0.75, 0.87, 4)):
        a, b, _ = simulate_paired_arms(np.random.default_rng(seed), 5, 318, accuracy_a, accuracy_b, seed_sd=0.3)
        interval = paired_difference(a, b).interval
        expected = not interval.low <= 0 <= interval.high
        got = fn(a, b)
        cases.append((f"{description} (interval {interval.low:.1f} to {interval.high:.1f} points)",
                      None if got is None else bool(got), expected))
    return run_check("does the interval say the arms differ?", cases, strict)
