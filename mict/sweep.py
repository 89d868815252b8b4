"""Sweeps: a grid of configurations × seeds, trained through the run cache and kept as predictions.

A sweep trains every arm (a named set of configuration overrides) with every seed, through
`mict.runs.train_or_load`, and keeps for each run its per-video test and validation
probabilities, so that any statistic can be recomputed later without training again
(`mict.stats`). Each run is one record in the sweep's folder:

    <folder>/<sweep>/<arm>/seed<k>.json   configuration, its key, code versions, timings, machine
                           seed<k>.npz    per-video probabilities and labels, test and validation

A sweep is resumable: a record whose key, code versions and clip lengths match today's is kept,
anything else is trained (or taken from the run cache) again. An arm may have more seeds than
its sweep (the noisiest ones do); adding seeds trains only the new ones. The shipped records in
data/sweeps are what the course reads for the seeds it does not train live; `stale_records`
tells which no longer match the code, and `missing_records` which are not there yet.
"""

import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from . import paths
from .atomic import atomic_path
from .checkpoints import TrainResult
from .code_version import EVALUATION_SOURCES, code_version
from .config import TrainConfig, make_config
from .errors import ConfigError
from .evaluate import recorded_predictions
from .progress import show_progress
from .runs import train_or_load

RECORD_FORMAT = "mict-sweep-record/1"


@dataclass(frozen=True)
class Arm:
    """One variant of a sweep: a stable name, a label for figures, and its configuration overrides."""

    name: str
    label: str
    overrides: dict = field(default_factory=dict)
    seeds: tuple[int, ...] | None = None  # none: the sweep's


@dataclass(frozen=True)
class Sweep:
    """Arms × seeds, each run evaluated on 16-frame clips, and for 'clip-length' sweeps on longer ones."""

    name: str
    description: str
    arms: tuple[Arm, ...]
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    lengths: tuple[int, ...] = ()  # frames for the clip-length evaluation (none: 16-frame clips only)

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise ConfigError(f"sweep {self.name!r} has no arm {name!r}; its arms are {[a.name for a in self.arms]}")

    def seeds_of(self, arm: Arm) -> tuple[int, ...]:
        return arm.seeds if arm.seeds is not None else self.seeds

    def config(self, arm: Arm, seed: int, profile: str = "quick", **overrides) -> TrainConfig:
        """The configuration of one run: the profile, the arm, the seed, then `overrides`."""
        return make_config(profile, **{**arm.overrides, "seed": seed, **overrides})


#: The peak learning rates the learning-rate sweep tries for v1 and v2.
LEARNING_RATES = (3e-3, 1.5e-3)
#: The peak learning rate the clip-length sweep trains each version at: the one the learning-rate
#: sweep's validation top-1 prefers, a tie going to the first listed (tests/test_shipped_sweeps.py
#: checks that the shipped records still prefer it, and that the quick profile defaults to it).
CHOSEN_ON_VALIDATION = {"v1": dict(lr=3e-3), "v2": dict(lr=1.5e-3)}

#: Seeds of the arms whose comparisons another CPU family is likeliest to change with five: the
#: two cheapest, whose seeds spread the most, the first kernels the ablation is about, and v1 of
#: the clip-length sweep, whose runs are the 7×7×7 ones (the same configuration) and so cost only
#: their evaluation on longer sequences.
MORE_SEEDS = tuple(range(10))

KERNEL_ARMS = (
    Arm("mict_k3", "MiCT-ResNet-18 3×7×7", {"temporal_kernel": 3}, seeds=MORE_SEEDS),
    Arm("mict_k5", "MiCT-ResNet-18 5×7×7", {"temporal_kernel": 5}),
    Arm("mict_k7", "MiCT-ResNet-18 7×7×7", {"temporal_kernel": 7}, seeds=MORE_SEEDS),
    Arm("mict_2d", "MiCT-ResNet-18 without 3D branches", {"model": "mict_resnet18_2d"}, seeds=MORE_SEEDS),
    Arm("resnet3d", "3D-ResNet-18", {"model": "resnet3d_18"}),
    Arm("frame", "frame ResNet-18", {"model": "frame_resnet18"}, seeds=MORE_SEEDS),
)

SWEEPS = {
    sweep.name: sweep
    for sweep in (
        Sweep("kernel", "the first 3D kernel's size, beside the 3D-ResNet-18, the frame ResNet-18 and MiCT "
                        "without its 3D branches (notebook 05)", KERNEL_ARMS),
        Sweep("kernel-speed", "the first 3D kernel's size on the synthetic dataset whose three classes differ "
                              "only in speed (notebook 05)",
              tuple(Arm(arm.name, arm.label, {**arm.overrides, "synthetic": "speed"})
                    for arm in KERNEL_ARMS if arm.name in ("mict_k3", "mict_k7"))),
        Sweep("learning-rate", "the peak learning rate of v1 and v2, chosen on validation (notebook 06; the "
                               "choice is CHOSEN_ON_VALIDATION)",
              tuple(Arm(f"{version}_lr{lr:g}", f"MiCT-ResNet-18 {version}, lr {lr:g}", {"version": version, "lr": lr})
                    for version in ("v1", "v2") for lr in LEARNING_RATES)),
        Sweep("clip-length", "temporal stride 16 (v1) against 4 (v2), tested on longer and longer sequences "
                             "(notebook 06)",
              tuple(Arm(version, f"MiCT-ResNet-18 {version}", {"version": version, **CHOSEN_ON_VALIDATION[version]},
                        seeds=MORE_SEEDS if version == "v1" else None)
                    for version in ("v1", "v2")),
              lengths=(16, 32, 64, 100)),
    )
}


def sweeps_dir() -> Path:
    """Where the shipped sweep records live: data/sweeps in the repository (MICT_SWEEPS moves it)."""
    if "MICT_SWEEPS" in os.environ:
        return Path(os.environ["MICT_SWEEPS"])
    return (paths.REPO_ROOT or Path.cwd()) / "data" / "sweeps"


def _folder_or_shipped(folder: str | Path | None) -> Path:
    return Path(folder) if folder is not None else sweeps_dir()


def get_sweep(name: str) -> Sweep:
    if name not in SWEEPS:
        raise ConfigError(f"unknown sweep {name!r}; choose one of {list(SWEEPS)}")
    return SWEEPS[name]


# --- Records --------------------------------------------------------------------------------------

@dataclass
class RunRecord:
    """One trained run of a sweep: what it was, and what it predicted for every test and validation video."""

    meta: dict
    arrays: dict[str, np.ndarray]

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    def probabilities(self, evaluation: str = "clip", subset: str = "test") -> np.ndarray:
        return self.arrays[f"{subset}/{evaluation}"]

    def correct(self, evaluation: str = "clip", subset: str = "test") -> np.ndarray:
        """Whether each video's top-1 class is its label."""
        return self.probabilities(evaluation, subset).argmax(axis=1) == self.arrays[f"{subset}/labels"]

    def top1(self, evaluation: str = "clip", subset: str = "test") -> float:
        return 100.0 * float(self.correct(evaluation, subset).mean())


def record_paths(folder: Path, sweep: str, arm: str, seed: int) -> tuple[Path, Path]:
    base = folder / sweep / arm / f"seed{seed}"
    return base.with_suffix(".json"), base.with_suffix(".npz")


def evaluation_version() -> str:
    """The hash of the code that turns trained weights into a record's numbers. The sweeps'
    definitions are not part of it: an arm's configuration is in its key, and its seeds and
    clip lengths are checked as such, so adding a seed leaves the other records current."""
    return code_version(EVALUATION_SOURCES)


def current_versions(config: TrainConfig, sweep: Sweep) -> dict:
    """What a record must match to be current: the configuration's key, the two code versions and
    the clip lengths the sweep evaluates."""
    return {"key": config.key(), "training_code": code_version(), "evaluation_code": evaluation_version(),
            "lengths": list(sweep.lengths)}


def has_record(folder: Path, sweep: str, arm: str, seed: int) -> bool:
    return all(path.is_file() for path in record_paths(folder, sweep, arm, seed))


def read_record(folder: Path, sweep: str, arm: str, seed: int) -> RunRecord | None:
    if not has_record(folder, sweep, arm, seed):
        return None
    meta_path, arrays_path = record_paths(folder, sweep, arm, seed)
    with np.load(arrays_path, allow_pickle=False) as stored:
        arrays = {name.replace("__", "/"): stored[name] for name in stored.files}
    return RunRecord(json.loads(meta_path.read_text()), arrays)


def write_record(folder: Path, sweep: str, arm: str, seed: int, record: RunRecord) -> None:
    """Arrays first, then the metadata: a record whose JSON is there is complete."""
    meta_path, arrays_path = record_paths(folder, sweep, arm, seed)
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(arrays_path, suffix=".tmp.npz") as tmp:
        np.savez_compressed(tmp, **{name.replace("/", "__"): value for name, value in record.arrays.items()})
    write_record_meta(folder, sweep, arm, seed, record.meta)


def write_record_meta(folder: Path, sweep: str, arm: str, seed: int, meta: dict) -> None:
    """A record's metadata alone (its arrays are written first, by `write_record`)."""
    with atomic_path(record_paths(folder, sweep, arm, seed)[0]) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, default=str) + "\n")


def is_current(record: RunRecord | None, config: TrainConfig, sweep: Sweep) -> bool:
    return record is not None and all(record.meta.get(k) == v for k, v in current_versions(config, sweep).items())


def machine() -> dict:
    """Which CPU and threads computed a record: float32 results differ between CPU families."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "threads": torch.get_num_threads(), "torch": torch.__version__,
            "device": "cuda" if torch.cuda.is_available() else "cpu"}


# --- Running -------------------------------------------------------------------------------------

def evaluate_run(run: TrainResult, sweep: Sweep) -> dict[str, np.ndarray]:
    """Per-video probabilities of a trained run, as a record of `sweep` keeps them
    (`mict.evaluate.recorded_predictions`)."""
    return recorded_predictions(run.load_model(), run.config, sweep.lengths)


def run_sweep(name: str, *, arms: list[str] | None = None, seeds: list[int] | None = None,
              folder: str | Path | None = None, profile: str = "quick", progress: bool | None = None,
              **overrides) -> list[RunRecord]:
    """Train and evaluate every (arm, seed) of sweep `name` that has no current record in `folder`.

    `overrides` apply to every run (a smaller model to try the sweep out, say); records made with
    them are keyed by them, so they never pass for the sweep's own."""
    sweep = get_sweep(name)
    folder = _folder_or_shipped(folder)
    chosen = [sweep.arm(a) for a in arms] if arms else list(sweep.arms)
    grid = [(arm, seed) for arm in chosen for seed in (seeds if seeds is not None else sweep.seeds_of(arm))]
    records = []
    bar = tqdm(grid, desc=f"sweep {name}", unit="run", disable=not show_progress(progress))
    for done, (arm, seed) in enumerate(bar):
        bar.set_postfix_str(f"{arm.name} seed {seed}; {done} done, {len(grid) - done} left")
        config = sweep.config(arm, seed, profile, **overrides)
        record = read_record(folder, name, arm.name, seed)
        if not is_current(record, config, sweep):
            record = _train_and_record(sweep, arm, seed, config, folder)
        records.append(record)
    bar.close()
    return records


def _train_and_record(sweep: Sweep, arm: Arm, seed: int, config: TrainConfig, folder: Path) -> RunRecord:
    started = time.perf_counter()
    run = train_or_load(config, progress=False)
    trained = time.perf_counter()
    arrays = evaluate_run(run, sweep)
    meta = {"format": RECORD_FORMAT, "sweep": sweep.name, "arm": arm.name, "label": arm.label, "seed": seed,
            **current_versions(config, sweep), "config": config.to_dict(), "best_epoch": run.best_epoch,
            "best_val_top1": run.best_val_top1, "history": run.history.to_dict(orient="list"),
            "train_seconds": round(trained - started, 1), "evaluate_seconds": round(time.perf_counter() - trained, 1),
            "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine()}
    record = RunRecord(meta, arrays)
    write_record(folder, sweep.name, arm.name, seed, record)
    return record


# --- Restamping ----------------------------------------------------------------------------------

#: History columns that time a run rather than describe what it learned.
TIMING_COLUMNS = ("seconds", "clips_per_s")


def retrains_identically(stored: RunRecord, retrained: RunRecord) -> str | None:
    """None when `retrained` predicted and learned exactly what `stored` did; else what differs."""
    if sorted(stored.arrays) != sorted(retrained.arrays):
        return f"it keeps other arrays ({sorted(retrained.arrays)} against {sorted(stored.arrays)})"
    for name, array in stored.arrays.items():
        if not np.array_equal(array, retrained.arrays[name]):
            return f"its {name} differ"
    for column, values in stored.meta["history"].items():
        if column not in TIMING_COLUMNS and retrained.meta["history"].get(column) != values:
            return f"its training history's {column} differs"
    return None


def restamp_records(name: str, folder: str | Path | None = None, *, verify_against: str | Path | None = None,
                    seeds: list[int] | None = None, profile: str = "quick", progress: bool | None = None,
                    **overrides) -> list[str]:
    """Bring the records of sweep `name` in `folder` that only today's training code makes stale up
    to today's code version, once retraining shows that it trains the very same runs.

    A change that leaves training bit for bit as it was (a faster data loader, say) should not
    cost retraining every record on every CPU family. The evidence is taken on this machine:
    `seeds` (default 0) of every arm are retrained with today's code, through the run cache, and
    must reproduce the per-video probabilities and the training history (its timings aside) of
    their records in `verify_against` (default `folder`), which must have been made by the same
    old code on this CPU with this many threads. Only then are the stale records rewritten, their
    predictions untouched, with today's code version and key (which hashes the code version) and
    a `restamped` entry saying from which version and on what evidence. Returns 'arm seed k' for
    each record restamped; raises ConfigError, restamping nothing, when a run differs or the
    evidence cannot be taken here. `overrides` apply to every run, as in `run_sweep`.
    """
    sweep = get_sweep(name)
    folder, reference = _folder_or_shipped(folder), _folder_or_shipped(verify_against or folder)
    stale = _stale_by_training_code_alone(sweep, folder, profile, overrides)
    if not stale:
        return []
    old_code = {record.meta["training_code"] for record, _ in stale.values()}
    arms = [arm for arm in sweep.arms if any(arm_name == arm.name for arm_name, _ in stale)]
    evidence = _retrain_identically(sweep, arms, seeds or [0], reference, old_code, profile, progress, overrides)
    for (arm, seed), (record, key) in stale.items():
        stamp = {"from": record.meta["training_code"], "to": code_version(), "key_from": record.meta["key"],
                 "evidence": evidence, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_record_meta(folder, name, arm, seed, {**record.meta, "key": key, "training_code": code_version(),
                                                    "restamped": [*record.meta.get("restamped", []), stamp]})
    return [f"{arm} seed {seed}" for arm, seed in stale]


def _stale_by_training_code_alone(sweep: Sweep, folder: Path, profile: str,
                                  overrides: dict) -> dict[tuple[str, int], tuple[RunRecord, str]]:
    """{(arm, seed): (record, today's key)} for the records of `folder` that would be current but
    for the training code: the same configuration, evaluation code and clip lengths."""
    stale = {}
    for arm, record, config, today in _records_beside_today(sweep, folder, profile, overrides):
        made_by = record.meta["training_code"]
        expected = {**today, "key": config.key(code=made_by), "training_code": made_by}
        if made_by != today["training_code"] and all(record.meta.get(k) == v for k, v in expected.items()):
            stale[(arm, record.seed)] = (record, today["key"])
    return stale


def _retrain_identically(sweep: Sweep, arms: list[Arm], seeds: list[int], reference: Path, old_code: set[str],
                         profile: str, progress: bool | None, overrides: dict) -> str:
    """Retrain `seeds` of `arms` with today's code and require each run to reproduce its record in
    `reference`, made by `old_code` on this CPU: the evidence, as a sentence, or ConfigError."""
    here, checked = machine(), []
    with tempfile.TemporaryDirectory(prefix="mict-restamp-") as scratch:
        for arm in arms:
            for seed in seeds:
                stored = read_record(reference, sweep.name, arm.name, seed)
                where = f"{sweep.name} {arm.name} seed {seed} in {reference}"
                if stored is None:
                    raise ConfigError(f"{where}: no record to verify today's code against")
                made_on = stored.meta["machine"]
                if (made_on["cpu"], made_on["threads"]) != (here["cpu"], here["threads"]):
                    raise ConfigError(
                        f"{where} was made on {made_on['cpu']} with {made_on['threads']} threads; this machine is "
                        f"{here['cpu']} with {here['threads']}: verify against records made on this CPU "
                        f"(--verify-against FOLDER), or retrain with `mict sweep {sweep.name}`")
                if stored.meta["training_code"] not in old_code:
                    raise ConfigError(f"{where} was trained by code {stored.meta['training_code']}, not by the "
                                      f"code {sorted(old_code)} of the records to restamp")
                retrained = run_sweep(sweep.name, arms=[arm.name], seeds=[seed], folder=scratch, profile=profile,
                                      progress=progress, **overrides)[0]
                difference = retrains_identically(stored, retrained)
                if difference is not None:
                    raise ConfigError(f"{where}: today's code trains it differently ({difference}); retrain the "
                                      f"sweep with `mict sweep {sweep.name}` instead")
                checked.append(f"{arm.name} seed {seed}")
    return (f"retrained by code {code_version()} on {here['cpu']} with {here['threads']} threads: "
            f"{', '.join(checked)} gave the probabilities and training histories of their records in "
            f"{reference.name} bit for bit")


# --- Reading -------------------------------------------------------------------------------------

def load_sweep(name: str, folder: str | Path | None = None) -> dict[str, list[RunRecord]]:
    """The records of a sweep by arm, in seed order (arms without records are left out)."""
    sweep = get_sweep(name)
    folder = _folder_or_shipped(folder)
    found = {}
    for arm in sweep.arms:
        records = [r for seed in sweep.seeds_of(arm) if (r := read_record(folder, name, arm.name, seed)) is not None]
        if records:
            found[arm.name] = records
    return found


def correct_table(records: list[RunRecord], evaluation: str = "clip", subset: str = "test") -> np.ndarray:
    """seeds × videos: which videos each run got right (the input of `mict.stats`)."""
    videos = records[0].arrays[f"{subset}/videos"]
    for record in records[1:]:
        if not np.array_equal(record.arrays[f"{subset}/videos"], videos):
            raise ConfigError(f"the records of {records[0].meta['arm']} were evaluated on different videos")
    return np.stack([record.correct(evaluation, subset) for record in records])


def stale_records(name: str, folder: str | Path | None = None, profile: str = "quick", **overrides) -> list[str]:
    """Records of sweep `name` that today's code would key or evaluate differently, as 'arm seed k: why'.

    Each record's configuration is rebuilt from the sweep's definition, not from what the record
    says, so a changed default or a changed arm makes its records stale too."""
    stale = []
    for arm, record, _, expected in _records_beside_today(get_sweep(name), folder, profile, overrides):
        changed = [k for k, v in expected.items() if record.meta.get(k) != v]
        if changed:
            stale.append(f"{arm} seed {record.seed}: {', '.join(changed)} changed")
    return stale


def _records_beside_today(sweep: Sweep, folder: str | Path | None, profile: str, overrides: dict):
    """(arm, record, its configuration, what today's code would record for it) for each record of
    `sweep` in `folder`. The configuration is rebuilt from the sweep's definition, not read back."""
    for arm, records in load_sweep(sweep.name, folder).items():
        for record in records:
            config = sweep.config(sweep.arm(arm), record.seed, profile, **overrides)
            yield arm, record, config, current_versions(config, sweep)


def missing_records(name: str, folder: str | Path | None = None) -> list[str]:
    """The (arm, seed) runs of sweep `name` that have no record in `folder`, as 'arm seed k: missing'.
    A seed added to an arm is missing until `mict sweep` trains it."""
    sweep = get_sweep(name)
    folder = _folder_or_shipped(folder)
    return [f"{arm.name} seed {seed}: missing" for arm in sweep.arms for seed in sweep.seeds_of(arm)
            if not has_record(folder, name, arm.name, seed)]


def validation_top1(records: dict[str, list[RunRecord]]) -> dict[str, float]:
    """Each arm's validation top-1 (16-frame clips of the validation groups), averaged over its seeds:
    what a choice between arms may look at. The test split is never consulted."""
    return {arm: float(np.mean([r.top1("clip", "val") for r in runs])) for arm, runs in records.items()}


def choose_on_validation(records: dict[str, list[RunRecord]]) -> str:
    """The arm with the highest mean validation top-1 (on a tie, the first listed)."""
    scores = validation_top1(records)
    return max(scores, key=scores.get)
