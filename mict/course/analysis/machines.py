"""The same sweeps trained on two machines: does a run on the second look like one more seed of the
first, and do the two record sets draw the same conclusions?

Float32 training repeats itself bit for bit on one kind of CPU with one thread count; another CPU
family rounds in another order, and sixteen epochs carry those last bits to another accuracy. The
course treats such a run as one more draw from the shipped seeds' spread. A whole sweep trained on
another machine tests that twice over: per arm, the paired difference between the two machines'
runs of the same seeds (the same initial weights and clips, other rounding), which should be
compatible with zero; and every comparison the notebooks make, drawn from each record set alone,
side by side (`mict sweep all --compare FOLDER`).
"""

from pathlib import Path

import pandas as pd

from mict.sweep import RunRecord, get_sweep, sweeps_dir, validation_top1

from .ablation import (
    KERNEL_PAIRS,
    SPEED_PAIRS,
    compared_lengths,
    difference_table,
    findings_side_by_side,
    learning_rates_chosen_on_validation,
    ways_compared,
)

#: The pairs of arms the notebooks compare within a sweep ('clip-length' compares each arm's two ways of
#: testing long sequences instead, and 'learning-rate' the rate validation picks per version).
PAIRS = {"kernel": KERNEL_PAIRS, "kernel-speed": SPEED_PAIRS}


def other_cpu_dir() -> Path:
    """The same sweeps trained on another CPU family than data/sweeps' (an Intel Xeon with AVX512 and
    AMX), shipped beside them: data/sweeps-intel-xeon."""
    return sweeps_dir().parent / "sweeps-intel-xeon"


def cpus(records: dict[str, list[RunRecord]]) -> str:
    """The CPUs that trained a record set, as its records name them."""
    return ", ".join(sorted({r.meta.get("machine", {}).get("cpu", "unknown") for runs in records.values()
                             for r in runs}))


def runs_side_by_side(a: dict[str, list[RunRecord]], b: dict[str, list[RunRecord]], labels: dict[str, str],
                      names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Per arm both record sets hold: B's runs minus A's runs of the same seeds, paired on the same test
    videos (`difference_table`), with its 95% interval and a verdict that calls the two sets `names`,
    and how many seeds came out with the very same predictions on both machines (as one CPU kind with
    one thread count gives)."""
    arms = [arm for arm in a if arm in b]
    both = {(arm, side): records[arm] for arm in arms for side, records in ((0, a), (1, b))}
    named = {(arm, side): f"{labels.get(arm, arm)} on {names[side]}" for arm in arms for side in (0, 1)}
    table = difference_table(both, [((arm, 1), (arm, 0)) for arm in arms], named, rerun_chance=False)
    table.insert(0, "arm", arms)
    table["identical seeds"] = [_identical_seeds(a[arm], b[arm]) for arm in table["arm"]]
    return table


def _identical_seeds(a: list[RunRecord], b: list[RunRecord]) -> int:
    seeds = {r.seed: r for r in a}
    return sum(1 for r in b if r.seed in seeds and (r.probabilities() == seeds[r.seed].probabilities()).all())


def findings_on_both(name: str, a: dict[str, list[RunRecord]], b: dict[str, list[RunRecord]]) -> pd.DataFrame:
    """Every comparison the notebooks draw from sweep `name`, once from record set A and once from B,
    side by side (`findings_side_by_side`, columns renamed for two record sets): the conclusions a
    course run reads, whichever machine trained the records."""
    sweep = get_sweep(name)
    labels = {arm.name: arm.label for arm in sweep.arms}
    columns = ["comparison", "A", "finding from A", "B", "finding from B", "same finding"]
    if name == "learning-rate":
        return _learning_rates_on_both(a, b)[columns]
    if name == "clip-length":
        lengths = compared_lengths(a, list(sweep.lengths))
        tables = [pd.concat([ways_compared(records, labels, n, at_least=control, rerun_chance=False)
                             for n, control in lengths], ignore_index=True) for records in (a, b)]
    else:
        pairs = [(x, y) for x, y in PAIRS[name] if {x, y} <= a.keys() & b.keys()]
        if not pairs:
            return pd.DataFrame(columns=columns)
        tables = [difference_table(records, pairs, labels, rerun_chance=False) for records in (a, b)]
    side = findings_side_by_side(*tables).rename(columns={
        "shipped seeds": "A", "shipped finding": "finding from A", "with this machine's runs": "B",
        "finding here": "finding from B"})
    return side[columns]


def _learning_rates_on_both(a: dict[str, list[RunRecord]], b: dict[str, list[RunRecord]]) -> pd.DataFrame:
    """Per version: each record set's mean validation top-1 of every rate, and the rate validation picks."""
    chosen = [learning_rates_chosen_on_validation(records) for records in (a, b)]
    scores = [validation_top1(records) for records in (a, b)]
    rows = []
    for version in chosen[0].keys() & chosen[1].keys():
        row = {"comparison": f"{version}: the learning rate validation picks"}
        for side, name in enumerate("AB"):
            row[name] = ", ".join(f"{records[0].meta['config']['lr']:g}: {scores[side][arm]:.1f}"
                                  for arm, records in (a, b)[side].items() if arm.startswith(f"{version}_"))
            row[f"finding from {name}"] = f"lr {chosen[side][version][0]:g}"
        row["same finding"] = row["finding from A"] == row["finding from B"]
        rows.append(row)
    return pd.DataFrame(rows).sort_values("comparison", ignore_index=True)
