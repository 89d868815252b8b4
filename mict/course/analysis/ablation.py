"""The two ablations of the original study, with several seeds and honest intervals.

The course trains seed 0 of every arm live (`live_record`) and reads the other seeds from the
records shipped in data/sweeps (`mict.sweep`). A notebook's claims rest on `shipped_evidence`, the
shipped seeds, so that every machine reads the same numbers and draws the same conclusions; `pooled`
puts this machine's live runs in place of the shipped runs of their seed, and `same_findings`
(`findings_side_by_side`, `verdicts_on_this_machine` for pairs of arms) says whether that changes a
conclusion. Every accuracy gets a 95% interval over seeds and test videos, and every comparison a
paired difference with its interval and tests (`mict.stats`). A sentence of a notebook that
compares two arms rests on `verdict`, which says what the interval supports and nothing more.
"""

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from mict.bench import benchmark_model
from mict.checkpoints import TrainResult
from mict.data import ClipDataset
from mict.models import get_model
from mict.stats import arm_accuracy, chance_a_rerun_changes_the_finding, paired_difference
from mict.sweep import RunRecord, Sweep, choose_on_validation, correct_table, evaluate_run, machine, validation_top1


def live_record(run: TrainResult, sweep: Sweep, arm: str) -> RunRecord:
    """A run the notebook trained, evaluated exactly as the sweep evaluates its records."""
    return RunRecord({"arm": arm, "seed": run.config.seed, "live": True, "machine": machine(),
                      "config": run.config.to_dict()}, evaluate_run(run, sweep))


def pooled(live: dict[str, RunRecord], shipped: dict[str, list[RunRecord]]) -> dict[str, list[RunRecord]]:
    """Per arm: the live run first, then the shipped records of the other seeds."""
    return {arm: [record] + [r for r in shipped.get(arm, []) if r.seed != record.seed]
            for arm, record in live.items()}


def shipped_evidence(live: dict[str, RunRecord], shipped: dict[str, list[RunRecord]]) -> dict[str, list[RunRecord]]:
    """Per arm: the shipped records when they include the live run's seed (float32 training differs
    between CPU families, so claims that rest on shipped records are the same on every machine), else
    the live run pooled with the shipped others."""
    return {arm: list(shipped[arm]) if any(r.seed == record.seed for r in shipped.get(arm, []))
            else pooled({arm: record}, shipped)[arm] for arm, record in live.items()}


def arm_table(records: dict[str, list[RunRecord]], labels: dict[str, str], evaluation: str = "clip",
              subset: str = "test", videos: np.ndarray | None = None) -> pd.DataFrame:
    """One row per arm: seeds, mean top-1, SD over seeds and the 95% interval (of `mict.stats.arm_accuracy`).
    `videos`, a boolean mask over the test videos, restricts every number to those videos."""
    rows = []
    for arm, runs in records.items():
        correct = correct_table(runs, evaluation, subset)
        summary = arm_accuracy(correct if videos is None else correct[:, videos])
        rows.append({"arm": arm, "label": labels.get(arm, arm), "seeds": summary.seeds, "videos": summary.videos,
                     "mean": summary.mean, "sd": summary.sd, "low": summary.interval.low,
                     "high": summary.interval.high, "per_seed": summary.per_seed})
    return pd.DataFrame(rows)


#: The seed the course trains live, on whatever machine it runs.
LIVE_SEED = 0

#: The comparisons notebook 05 makes between the kernel sweep's arms (a − b), and on the speed-only classes.
KERNEL_PAIRS = (("mict_k7", "mict_k3"), ("mict_k7", "mict_k5"), ("mict_k5", "mict_k3"), ("mict_k7", "mict_2d"),
                ("mict_k7", "resnet3d"), ("mict_k7", "frame"), ("mict_2d", "frame"))
SPEED_PAIRS = (("mict_k7", "mict_k3"),)


def compared_lengths(records: dict[str, list[RunRecord]], lengths: list[int]) -> list[tuple[int, bool]]:
    """Where notebook 06 compares K clips with one long clip, as (frames, at_least): the longest of
    `lengths` on every test video, and, in the control that never loops (`at_least`), the longest that
    at least half of the test videos reach (with fewer videos, the interval says little)."""
    n_frames = next(iter(records.values()))[0].arrays["test/n_frames"]
    return [(max(lengths), False), (max(n for n in lengths if (n_frames >= n).mean() >= 0.5), True)]


def difference_table(records: dict[str, list[RunRecord]], pairs: list[tuple[str, str]],
                     labels: dict[str, str], evaluation: str = "clip", rerun_chance: bool = True) -> pd.DataFrame:
    """One row per (a, b): the paired difference a − b in points over the seeds both have, its 95%
    interval, the p-value of the paired t-test, the per-seed McNemar p-values, the verdict, and the
    chance that another machine's run of the live seed changes the verdict (`rerun_changes_it`; NaN
    without `rerun_chance`, which tables only compared for their findings skip: it is the slow column)."""
    rows = []
    for a, b in pairs:
        seeds = sorted({r.seed for r in records[a]} & {r.seed for r in records[b]})
        pick = {arm: [next(r for r in records[arm] if r.seed == s) for s in seeds] for arm in (a, b)}
        tables = correct_table(pick[a], evaluation), correct_table(pick[b], evaluation)
        result = paired_difference(*tables)
        row = {"a": a, "b": b, "comparison": f"{labels.get(a, a)} − {labels.get(b, b)}", "seeds": len(seeds),
               "difference": result.mean, "low": result.interval.low, "high": result.interval.high,
               "p_value": result.p_value, "mcnemar_p": tuple(m.p_value for m in result.mcnemar),
               "rerun_changes_it": _chance_a_rerun_changes_it(*tables, seeds, rerun_chance)}
        row["verdict"] = verdict(row, labels)
        rows.append(row)
    return pd.DataFrame(rows)


def _chance_a_rerun_changes_it(correct_a: np.ndarray, correct_b: np.ndarray, seeds: list[int],
                               wanted: bool = True) -> float:
    """`mict.stats.chance_a_rerun_changes_the_finding` for the live seed's row (NaN without it, or unless
    `wanted`)."""
    if not wanted or LIVE_SEED not in seeds:
        return float("nan")
    return chance_a_rerun_changes_the_finding(correct_a, correct_b, seed=seeds.index(LIVE_SEED))


def caveats(row: dict | pd.Series) -> str:
    """What to add to a `verdict` sentence: whether one seed carries it (`survives_losing_a_seed`) and the
    chance that another machine's run of the live seed changes it (when that rounds to 1% or more)."""
    notes = [] if row.get("survives_losing_a_seed", True) else ["fragile: one seed carries it"]
    chance = row.get("rerun_changes_it", float("nan"))
    if chance >= 0.005:
        notes.append(f"another machine's seed {LIVE_SEED} would change it with chance {chance:.0%}")
    return "".join(f"; {note}" for note in notes)


def finding(row: dict | pd.Series) -> str:
    """The kind of claim a paired difference's 95% interval supports: 'more accurate', 'less accurate',
    'cannot be told apart', or 'no verdict' (from a single seed)."""
    if row.get("seeds", 2) < 2:
        return "no verdict"
    if row["low"] > 0:
        return "more accurate"
    if row["high"] < 0:
        return "less accurate"
    return "cannot be told apart"


def verdict(row: dict | pd.Series, labels: dict[str, str] | None = None) -> str:
    """What a paired difference's 95% interval supports, in words (`finding`, with its numbers)."""
    labels = labels or {}
    a, b = labels.get(row["a"], row["a"]), labels.get(row["b"], row["b"])
    kind = finding(row)
    if kind == "no verdict":
        return (f"{a} − {b}: {row['low']:.1f} to {row['high']:.1f} points from one seed, which counts the test "
                f"videos but not what another seed would change: no verdict")
    if kind == "more accurate":
        return f"{a} is more accurate than {b}, by {row['low']:.1f} to {row['high']:.1f} points"
    if kind == "less accurate":
        return f"{a} is less accurate than {b}, by {-row['high']:.1f} to {-row['low']:.1f} points"
    return (f"{a} and {b} cannot be told apart: the difference could be anything from {row['low']:.1f} to "
            f"{row['high']:.1f} points")


def _stands_with_any_seed_left_out(records: dict[str, list[RunRecord]], finding_of) -> bool:
    """Whether `finding_of(records)` is a verdict that stays the same with any one seed the arms of
    `records` share left out of all of them."""
    everything = finding_of(records)
    seeds = sorted(set.intersection(*({r.seed for r in runs} for runs in records.values())))
    return everything != "no verdict" and all(
        finding_of({arm: [r for r in runs if r.seed != left_out] for arm, runs in records.items()}) == everything
        for left_out in seeds)


def survives_losing_a_seed(records: dict[str, list[RunRecord]], pairs: list[tuple[str, str]],
                           labels: dict[str, str]) -> list[bool]:
    """Per pair: whether its finding (`finding`) stands with any one of its seeds left out. Another CPU
    family trains every seed anew, so a finding that one seed carries may not survive a move to it."""
    def finding_of(chosen):  # chosen holds the two arms of one pair, a first
        return finding(difference_table(chosen, [tuple(chosen)], labels, rerun_chance=False).iloc[0])

    return [_stands_with_any_seed_left_out({a: records[a], b: records[b]}, finding_of) for a, b in pairs]


def ways_survive_losing_a_seed(records: dict[str, list[RunRecord]], labels: dict[str, str], frames: int,
                               at_least: bool = False) -> list[bool]:
    """Per arm of `ways_compared(records, labels, frames, at_least)`: whether its finding stands with any
    one of the arm's seeds left out, as `survives_losing_a_seed` asks of two arms."""
    return [_stands_with_any_seed_left_out(
        {arm: runs},
        lambda chosen: finding(ways_compared(chosen, labels, frames, at_least, rerun_chance=False).iloc[0]))
        for arm, runs in records.items()]


def same_findings(table: pd.DataFrame, here: pd.DataFrame) -> list[bool]:
    """Row by row, whether two tables of the same comparisons (`difference_table` or `ways_compared`
    rows: the shipped seeds', say, and this machine's) reach the same `finding`."""
    if list(table["a"]) != list(here["a"]) or list(table["b"]) != list(here["b"]):
        raise ValueError("the two tables must hold the same comparisons in the same order")
    pairs = zip(table.iterrows(), here.iterrows(), strict=True)
    return [finding(mine) == finding(theirs) for (_, mine), (_, theirs) in pairs]


def findings_side_by_side(shipped: pd.DataFrame, here: pd.DataFrame) -> pd.DataFrame:
    """Two tables of the same comparisons (`difference_table` or `ways_compared` rows: the shipped
    seeds' and this machine's, say) side by side: each one's interval and finding, and whether the two
    findings agree. Where they differ, the shipped claim hangs on which CPU trained one seed: read it
    as fragile."""
    same = same_findings(shipped, here)
    return pd.DataFrame({
        "a": shipped["a"].to_numpy(), "b": shipped["b"].to_numpy(), "comparison": shipped["comparison"].to_numpy(),
        "shipped seeds": [f"[{r.low:.1f}, {r.high:.1f}]" for r in shipped.itertuples()],
        "shipped finding": [finding(row) for _, row in shipped.iterrows()],
        "with this machine's runs": [f"[{r.low:.1f}, {r.high:.1f}]" for r in here.itertuples()],
        "finding here": [finding(row) for _, row in here.iterrows()],
        "low here": here["low"].to_numpy(), "high here": here["high"].to_numpy(),
        "same finding": same,
        "rerun_changes_it": shipped.get("rerun_changes_it", pd.Series(np.nan, index=shipped.index)).to_numpy()})


def verdicts_on_this_machine(differences: pd.DataFrame, records_here: dict[str, list[RunRecord]],
                             labels: dict[str, str]) -> pd.DataFrame:
    """Each comparison of `differences` (the `difference_table` of the shipped seeds, `shipped_evidence`)
    beside the same comparison made with `records_here` (`pooled`: this machine's live runs in place of
    the shipped runs of their seed), by `findings_side_by_side`."""
    here = difference_table(records_here, list(zip(differences["a"], differences["b"], strict=True)), labels,
                            rerun_chance=False)
    return findings_side_by_side(differences, here)


def changed_findings(side_by_side: pd.DataFrame) -> str:
    """One line for a `findings_side_by_side` table: whether this machine's seed-0 runs change any finding,
    and which, with the interval and finding each has here."""
    changed = side_by_side[~side_by_side["same finding"]]
    if changed.empty:
        return "with this machine's seed-0 runs, every finding is the same"
    interval_here = "with this machine's runs"
    return "with this machine's seed-0 runs, these findings change: " + "; ".join(
        f"{row['comparison']}: {row['shipped finding']} {row['shipped seeds']} with the shipped seeds, "
        f"{row['finding here']} {row[interval_here]} here{_predicted(row['rerun_changes_it'])}"
        for _, row in changed.iterrows())


def _predicted(chance: float) -> str:
    return "" if np.isnan(chance) else f" (the shipped seeds gave this change a chance of {chance:.0%})"


def shipped_prediction_band(values: list[float], coverage: float = 0.99) -> tuple[float, float]:
    """Where one more run should land, from the shipped seeds' values: a `coverage` prediction interval,
    mean ± t(S−1) · SD · sqrt(1 + 1/S), clipped to [0, 100] (NaN from fewer than two values). A live run
    on another CPU is such a run."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return math.nan, math.nan  # one value has no spread to predict from
    spread = values.std(ddof=1) * math.sqrt(1 + 1 / len(values))
    half = stats.t.ppf(0.5 + coverage / 2, len(values) - 1) * spread
    return max(0.0, values.mean() - half), min(100.0, values.mean() + half)


def architecture_costs(arms, *, frames: int = 16, size: int = 160, runs: int = 5, warmup: int = 2,
                       device: str = "cpu") -> pd.DataFrame:
    """Parameters, GFLOPs, frames/s and memory of each arm (`mict.sweep.Arm`) at the original's size
    (width 64, 101 classes, one 16×160×160 clip at a time): the architecture the original measured."""
    rows = []
    for arm in arms:
        options = {k: v for k, v in arm.overrides.items() if k != "model"}
        torch.manual_seed(0)
        model = get_model(arm.overrides.get("model", "mict_resnet18"), num_classes=101, **options)
        row = benchmark_model(model, arm.label, frames=frames, size=size, runs=runs, warmup=warmup, device=device)
        rows.append({"arm": arm.name, "label": arm.label, "params_millions": row["params"] / 1e6,
                     "gflops": row["gflops_per_clip"], "cpu_fps": row["frames_per_s"],
                     "cpu_memory_mb": row["peak_memory_mb"]})
    return pd.DataFrame(rows)


def temporal_steps(frames: int, temporal_stride: int) -> int:
    """How many time steps reach the classifier for a clip of `frames` frames."""
    return math.ceil(frames / temporal_stride)


def clip_length_table(records: dict[str, list[RunRecord]], labels: dict[str, str], lengths: list[int],
                      at_least: bool = False) -> pd.DataFrame:
    """Top-1 with its interval for every (arm, way, N): one long clip ('long') or K clips ('clips') of
    the first N frames. `at_least` keeps only the test videos with at least N frames (nothing loops)."""
    tables = []
    n_frames = next(iter(records.values()))[0].arrays["test/n_frames"]
    for n in lengths:
        mask = n_frames >= n if at_least else None
        if mask is not None and not mask.any():
            continue
        for way in ("long", "clips"):
            table = arm_table(records, labels, evaluation=f"{way}{n}", videos=mask)
            tables.append(table.assign(way=way, frames=n))
    return pd.concat(tables, ignore_index=True)


def ways_compared(records: dict[str, list[RunRecord]], labels: dict[str, str], frames: int,
                  at_least: bool = False, rerun_chance: bool = True) -> pd.DataFrame:
    """Per arm: K clips minus one long clip of the first `frames` frames, paired over the same seeds and
    test videos (the two ways see the same frames), with its interval, p-value and `verdict`.
    `at_least` keeps only the videos with at least `frames` frames, as `clip_length_table` does;
    `rerun_chance` as in `difference_table`."""
    rows = []
    for arm, runs in records.items():
        n_frames = runs[0].arrays["test/n_frames"]
        keep = n_frames >= frames if at_least else np.ones(len(n_frames), dtype=bool)
        tables = correct_table(runs, f"clips{frames}")[:, keep], correct_table(runs, f"long{frames}")[:, keep]
        result = paired_difference(*tables)
        label = labels.get(arm, arm)
        row = {"arm": arm, "a": f"{label}, K clips", "b": f"{label}, one long clip",
               "comparison": f"{label}: K clips − one long clip, first {frames} frames of {int(keep.sum())} videos",
               "frames": frames,
               "videos": int(keep.sum()), "seeds": len(runs), "difference": result.mean,
               "low": result.interval.low, "high": result.interval.high, "p_value": result.p_value,
               "rerun_changes_it": _chance_a_rerun_changes_it(*tables, [r.seed for r in runs], rerun_chance)}
        rows.append({**row, "verdict": verdict(row)})
    return pd.DataFrame(rows)


@torch.no_grad()
def per_step_accuracy(model: nn.Module, root, frames: int, *, split: int = 1, crop_size: int = 48,
                      base_size: int = 54, videos: int | None = None) -> pd.DataFrame:
    """Top-1 of each time step alone, for one long clip of the first `frames` frames of every test video
    long enough not to loop: which steps of a long clip the classifier reads right.

    The last step is the only one whose features the zero padding at the end of time reaches."""
    dataset = ClipDataset(root, split=split, subset="test", frames=frames, sampling="first", crop_size=crop_size,
                          base_size=base_size, augment=False)
    keep = np.flatnonzero(dataset.videos["n_frames"].to_numpy() >= frames)[:videos]
    model.eval()
    hits = []
    for i in keep:
        clip, label = dataset[int(i)][:2]
        steps = model.step_logits(clip.unsqueeze(0))[0].argmax(dim=1)
        hits.append((steps == label).numpy())
    hits = np.stack(hits)
    table = pd.DataFrame({"step": range(hits.shape[1]), "top1": 100 * hits.mean(axis=0)})
    table["last"] = table["step"] == table["step"].max()
    table.attrs["videos"] = len(keep)
    return table


def last_step_gap(table: pd.DataFrame) -> float:
    """How many points more often the last time step is read right than the earlier ones, on average."""
    return float(table.loc[table["last"], "top1"].iloc[0] - table.loc[~table["last"], "top1"].mean())


def padding_story_outcome(steps: dict[str, pd.DataFrame], labels: dict[str, str] | None = None) -> str:
    """What the per-step test says about the padding story's two predictions, in words: v1's last
    step is read right more often than its earlier ones, and v2 shows a smaller gap than v1."""
    labels = labels or {}
    gaps = {arm: last_step_gap(table) for arm, table in steps.items()}
    words = [f"{labels.get(arm, arm)}: last step {'+' if gap >= 0 else '−'}{abs(gap):.1f} points against its "
             f"earlier steps" for arm, gap in gaps.items()]
    if "v1" in gaps:
        words.append("prediction 1 (v1's last step is read right more often) "
                     + ("holds" if gaps["v1"] > 0 else "fails"))
    if {"v1", "v2"} <= gaps.keys():
        smaller = abs(gaps["v2"]) < abs(gaps["v1"])
        words.append("prediction 2 (v2 shows a smaller gap) " + ("holds" if smaller else "fails")
                     + (", and v2's gap has the opposite sign" if gaps["v1"] * gaps["v2"] < 0 else ""))
    return "; ".join(words)


def learning_rates_chosen_on_validation(records: dict[str, list[RunRecord]]) -> dict[str, tuple[float, list[str]]]:
    """For each version of a learning-rate sweep ('v1', 'v2'): the learning rate `choose_on_validation`
    picks among that version's arms, and every arm tied with it for the best mean validation top-1."""
    scores = validation_top1(records)
    chosen = {}
    for version in dict.fromkeys(arm.split("_")[0] for arm in records):
        mine = {arm: runs for arm, runs in records.items() if arm.startswith(f"{version}_")}
        best = choose_on_validation(mine)
        chosen[version] = (mine[best][0].meta["config"]["lr"], [arm for arm in mine if scores[arm] == scores[best]])
    return chosen
