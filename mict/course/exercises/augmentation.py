"""Checks for notebook 02's exercises: looping a short video, a corner crop's box, the test-time crop."""

from itertools import cycle, islice

from mict.data.augment import CROP_POSITIONS, crop_box

from ..viz.augmentation import center_crop_box
from . import CheckResult, run_check


def check_loop_to_length(loop_to_length, strict: bool = False) -> CheckResult:
    """`loop_to_length(indices, length)` repeats `indices` cyclically until there are `length` of them."""
    cases = [([0, 1, 2], 7), ([0, 4, 8, 12], 10), ([5], 3), (list(range(0, 40, 4)), 16), (list(range(20)), 16)]

    def rows():
        for indices, length in cases:
            expected = list(islice(cycle(indices), length))
            yield f"loop_to_length({indices}, {length})", loop_to_length(list(indices), length), expected

    return run_check("loop a too-short sequence", rows(), strict)


def check_crop_box(crop_box_of, strict: bool = False) -> CheckResult:
    """`crop_box_of(position, crop_height, crop_width, height, width)` → (top, left, height, width)."""
    frames = [(72, 96, 60, 66), (192, 256, 128, 176), (192, 256, 192, 144)]

    def rows():
        for height, width, crop_height, crop_width in frames:
            for position in CROP_POSITIONS:
                args = (position, crop_height, crop_width, height, width)
                yield f"crop_box_of{args}", crop_box_of(*args), crop_box(*args)

    return run_check("the crop box of a corner (or centre) crop", rows(), strict)


def reference_test_time_crop(width: int, height: int, base_size: int, crop_size: int) -> tuple:
    """((width, height) after resizing to the base height, (top, left, height, width) of the centre crop)."""
    resized = (int(width * base_size / height), base_size)
    return resized, center_crop_box(resized[1], resized[0], crop_size)


def check_test_time_crop(test_time_crop, strict: bool = False) -> CheckResult:
    """`test_time_crop(width, height, base_size, crop_size)` → ((width, height), (top, left, height, width))."""
    cases = [(320, 240, 192, 160), (96, 72, 72, 64), (256, 192, 192, 160), (400, 226, 192, 160)]

    def rows():
        for args in cases:
            yield f"test_time_crop{args}", test_time_crop(*args), reference_test_time_crop(*args)

    return run_check("the test-time crop", rows(), strict)

