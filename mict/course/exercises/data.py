"""Checks for notebook 01's exercises: reading UCF-101's lists and measuring the split leak.

The cases are real lines of the official lists (CRLF endings and the HandstandPushups
folder included), so a function that passes here reads the real files.
"""

from mict import data

from . import run_check

#: Lines 33–48 of the official classInd.txt, as read from the file (CRLF endings kept).
CLASS_INDEX_LINES = [f"{index} {name}\r\n" for index, name in enumerate((
    "GolfSwing", "Haircut", "Hammering", "HammerThrow", "HandstandPushups", "HandstandWalking", "HeadMassage",
    "HighJump", "HorseRace", "HorseRiding", "HulaHoop", "IceDancing", "JavelinThrow", "JugglingBalls",
    "JumpingJack", "JumpRope"), start=33)]


class Raised:
    """What the student's function raised, shown in place of a result."""

    def __init__(self, error: Exception):
        self.error = error

    def __repr__(self) -> str:
        return f"<raised {type(self.error).__name__}: {self.error}>"


def _call(function, *args):
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - a student's error is reported, not raised
        return Raised(error)


def _as_list(value):
    """A range, tuple or other iterable as a list, so that any sequence of the right numbers passes."""
    if value is None or isinstance(value, Raised | str):
        return value
    try:
        return list(value)
    except TypeError:
        return value


def check_label_from_class_index(label_of, strict: bool = False):
    """`label_of(lines, class_name)` → the 0-based label a network is trained on: its index in classInd.txt − 1."""
    shuffled = CLASS_INDEX_LINES[::-1]
    cases = (
        ("Hammering (classInd puts it before HammerThrow; Python's sorted() would not)", "Hammering", 34),
        ("HammerThrow", "HammerThrow", 35),
        ("JumpingJack (before JumpRope in classInd, after it in sorted())", "JumpingJack", 46),
        ("JumpRope, the last line (does the CRLF ending stay out of the name?)", "JumpRope", 47),
    )
    checks = [(description, _call(label_of, list(CLASS_INDEX_LINES), name), label)
              for description, name, label in cases]
    checks.append(("HandstandPushups with the lines in reverse order (the number, not the position, gives the "
                   "label)", _call(label_of, shuffled, "HandstandPushups"), 36))
    return run_check("label from classInd.txt", checks, strict)


def check_parse_list_line(parse, strict: bool = False):
    """`parse(line)` → (class_name, group, clip) from a trainlist or testlist line; the class is the folder."""
    cases = (
        ("a trainlist line with its label and CRLF", "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\n",
         ("ApplyEyeMakeup", 8, 1)),
        ("a testlist line (no label)", "YoYo/v_YoYo_g07_c04.avi\r\n", ("YoYo", 7, 4)),
        ("HandstandPushups: the folder is the class, the file says HandStandPushups",
         "HandstandPushups/v_HandStandPushups_g08_c03.avi 37\r\n", ("HandstandPushups", 8, 3)),
        ("the last group, two-digit clip", "HammerThrow/v_HammerThrow_g25_c07.avi 36\r\n", ("HammerThrow", 25, 7)),
    )
    return run_check("parse a list line", [(d, _call(parse, line), want) for d, line, want in cases], strict)


def check_groups_tested_in(groups_tested, strict: bool = False):
    """`groups_tested(split)` → the groups split k tests on, in order."""
    cases = [(f"split {k}", _as_list(_call(groups_tested, k)), list(data.groups_tested_in(k))) for k in (1, 2, 3)]
    return run_check("groups tested in split k", cases, strict)


def check_group_leak(leak_percent, strict: bool = False):
    """`leak_percent(train_videos, test_videos)` → % of test videos whose (class, group) has a training video."""
    train = ["YoYo/v_YoYo_g08_c01", "YoYo/v_YoYo_g09_c02", "Archery/v_Archery_g01_c01",
             "HandstandPushups/v_HandStandPushups_g02_c01"]
    test = ["YoYo/v_YoYo_g08_c02", "YoYo/v_YoYo_g01_c01", "Archery/v_Archery_g09_c01",
            "HandstandPushups/v_HandStandPushups_g02_c04"]
    cases = (
        ("no test video shares a group with training (an official split)", train,
         ["YoYo/v_YoYo_g01_c01", "Archery/v_Archery_g02_c01"], 0.0),
        ("YoYo g08 and HandstandPushups g02 are on both sides; YoYo g01 is not, and Archery g09 is not "
         "YoYo g09 (a group belongs to its class)", train, test, 50.0),
        ("every test video has a sibling in training", train, ["YoYo/v_YoYo_g09_c01", "Archery/v_Archery_g01_c02"],
         100.0),
    )
    checks = [(d, _call(leak_percent, list(tr), list(te)), want) for d, tr, te, want in cases]
    return run_check("share of test videos that leak", checks, strict)
