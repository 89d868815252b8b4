"""The `mict` command: one subcommand per job, each a thin wrapper over the library."""

import argparse
import dataclasses
import sys
from pathlib import Path

from .allocator import keep_freed_memory
from .errors import ConfigError, MictError


def _saved_benchmark(args: argparse.Namespace, command: str):
    """The table `--against` names, read before measuring so that a wrong path fails at once."""
    from .bench.saved import load_table

    return load_table(args.against, command=command) if args.against else None


def _compare_and_save(args: argparse.Namespace, command: str, before, table, *, key: str, values: list[str]) -> None:
    """`--against`: print this run beside the saved one, measure by measure; `--save`: keep this run."""
    from .bench.saved import describe_machine, save_table, side_by_side, this_machine

    if before is not None:
        machine = this_machine()
        print(f"\nbefore: {args.against}, measured on {describe_machine(before.attrs['machine'])}")
        print(f"now: measured on {describe_machine(machine)}")
        if before.attrs["machine"] != machine:
            print("(different machines: each ratio mixes the change with the machine)")
        for value in values:
            print(side_by_side(before, table, key=key, value=value).to_string(
                index=False, float_format="{:.2f}".format, na_rep="—"))
    if args.save:
        print(f"wrote {save_table(table, args.save, command=command)}")


def _speed(args: argparse.Namespace) -> int:
    from .bench import benchmark_models, format_table

    before = _saved_benchmark(args, "speed")
    names = args.model or ["mict_resnet18", "resnet3d_18"]
    table = benchmark_models(
        names,
        width=args.width,
        num_classes=args.num_classes,
        version=args.version,
        temporal_kernel=args.temporal_kernel,
        baseline=args.baseline,
        batch=args.batch,
        frames=args.frames,
        size=args.size,
        device=args.device,
        runs=args.runs,
        warmup=args.warmup,
        memory=not args.no_memory,
        original_layout=args.original_layout,
        compiled=args.compile,
    )
    print(format_table(table))
    _compare_and_save(args, "speed", before, table, key="model", values=["latency_ms", "frames_per_s"])
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


_positive, _non_negative = _count(1), _count(0)


def _range(text: str) -> tuple[int, int]:
    """'4-5' → (4, 5); '16' → (16, 16)."""
    try:
        low, _, high = text.partition("-")
        return int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or a range like 40-100, got {text!r}") from None


def _synth(args: argparse.Namespace) -> int:
    from .data.prepare import parse_size
    from .data.synth import generate_dataset, preset

    config = preset(args.preset)
    width, height = parse_size(args.size) if args.size else (config.width, config.height)
    changes = dict(classes=tuple(args.classes) if args.classes else None, groups=args.groups,
                   clips_per_group=args.clips, frames=args.frames, seed=args.seed)
    config = dataclasses.replace(config, width=width, height=height,
                                 **{k: v for k, v in changes.items() if v is not None})
    summary = generate_dataset(args.out, config, workers=args.workers)
    print(f"wrote {summary['videos']} videos ({summary['frames']} frames, {summary['classes']} classes) "
          f"in UCF-101's layout under {summary['out']}\n"
          f"next: mict prepare --root {summary['out']} --out PREPARED_DIR")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from .data.prepare import parse_size, prepare_dataset

    report = prepare_dataset(args.root, args.out, size=parse_size(args.size), workers=args.workers,
                             verify=args.verify)
    print(report.summary())
    return 0


def _bench_data(args: argparse.Namespace) -> int:
    import tempfile

    from .bench import data_throughput, ucf_like_videos
    from .data import prepare_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root, original_root = args.root, args.original_root
        if root is None:
            print("no --root given: generating UCF-sized (320×240) synthetic videos, prepared at 256×192 …")
            raw = ucf_like_videos(f"{tmp}/raw")
            root = prepare_dataset(raw, f"{tmp}/prepared", size=(256, 192), progress=False).out
            original_root = prepare_dataset(raw, f"{tmp}/original", size=None, progress=False).out
        table = data_throughput(root, original_root=original_root, frames=args.frames, crop_size=args.crop_size,
                                base_size=args.base_size, clips=args.clips, threads=args.threads)
    print(table.attrs["input"])
    print(table.to_string(index=False, float_format="{:.2f}".format))
    return 0


def _bench_prepare(args: argparse.Namespace) -> int:
    import tempfile

    from .bench import prepare_throughput, ucf_like_videos

    with tempfile.TemporaryDirectory() as tmp:
        root = args.root
        if root is None:
            print("no --root given: generating UCF-sized (320×240) synthetic videos …")
            root = ucf_like_videos(f"{tmp}/raw")
        table = prepare_throughput(root, workers=args.workers)
    print(table.attrs["input"])
    print(table.to_string(index=False, float_format="{:.1f}".format))
    return 0


def _pretrained(text: str) -> bool | str:
    lowered = text.lower()
    if lowered in ("true", "yes", "1", "imagenet"):
        return True
    if lowered in ("false", "no", "0", "none"):
        return False
    return text


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, its help and choices from the field; unset flags keep the profile's value."""
    from .config import FULL, TrainConfig

    for f in dataclasses.fields(TrainConfig):
        if f.name in ("profile", "extra"):
            continue
        flag = "--" + f.name.replace("_", "-")
        default, choices = f.default, f.metadata["choices"]
        defaults = [f"quick: {default}"] if default not in (None, ()) else []
        defaults += [f"full: {FULL[f.name]}"] if f.name in FULL else []
        help_text = f.metadata["help"] + (f" ({'; '.join(defaults)})" if defaults else "")
        if isinstance(default, tuple):
            parser.add_argument(flag, type=int, nargs="+", help=help_text)
        elif f.name == "pretrained":
            parser.add_argument(flag, type=_pretrained, help=help_text)
        elif isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            kind = type(default) if default is not None else str
            parser.add_argument(flag, type=kind, choices=choices, help=help_text)


def _config_from_args(args: argparse.Namespace):
    from .config import TrainConfig, make_config

    overrides = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(TrainConfig)
                 if f.name not in ("profile", "extra")}
    return make_config(args.profile, **overrides)


def _train(args: argparse.Namespace) -> int:
    from .checkpoints import load_trained_model
    from .evaluate import evaluate
    from .train import Trainer, TrainingDiverged

    config = _config_from_args(args)
    try:
        trainer = Trainer(config, resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress)
        result = trainer.fit()
    except TrainingDiverged as error:
        print(f"mict train: {error}", file=sys.stderr)
        return 1
    if not trainer.context.is_main:
        return 0
    best = f"best validation top-1 {result.best_val_top1:.1f}% at epoch {result.best_epoch}; " if (
        result.best_val_top1 is not None) else ""
    print(f"finished: {best}checkpoints in {result.run_dir}")
    if not args.no_test:
        model = load_trained_model(result.best_checkpoint, trainer.device)[0]
        evaluation = evaluate(model, trainer.train_set.root, split=config.split, frames=config.frames,
                              crop_size=config.crop_size, base_size=config.base_size, device=trainer.device,
                              amp=config.amp, workers=config.workers, progress=not args.no_progress)
        print(f"test split {config.split}, first {config.frames} frames: top-1 {evaluation.summary['top1']:.1f}%  "
              f"top-5 {evaluation.summary['top5']:.1f}%  ({evaluation.summary['videos']} videos)")
    return 0


def _test(args: argparse.Namespace) -> int:
    from .checkpoints import load_any_checkpoint
    from .evaluate import evaluate_all

    checkpoint = Path(args.checkpoint)
    model, config, _ = load_any_checkpoint(checkpoint, model=args.model, width=args.width, version=args.version,
                                           temporal_kernel=args.temporal_kernel)
    root = args.data or config.data_root()
    split = args.split or config.split
    table, evaluations = evaluate_all(model, root, frames=args.frames or config.frames, long_frames=args.long,
                                      clips=args.clips, split=split, subset=args.subset,
                                      crop_size=args.crop_size or config.crop_size,
                                      base_size=args.base_size or config.base_size, batch_size=args.batch_size,
                                      device=args.device, amp=args.amp, workers=args.workers)
    out = Path(args.out) if args.out else checkpoint.parent / f"eval-split{split}-{args.subset}"
    for evaluation in evaluations:
        evaluation.save(out)
    table.to_csv(out / "summary.csv", index=False)
    print(f"{checkpoint} on split {split} ({args.subset}):")
    print(table.to_string(index=False, float_format="{:.1f}".format))
    print(f"predictions, per-class accuracy and confusion matrices in {out}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from .checkpoints import load_any_checkpoint
    from .predict import class_names_for, predict_video

    model, config, classes = load_any_checkpoint(args.checkpoint, model=args.model, width=args.width,
                                                 version=args.version, temporal_kernel=args.temporal_kernel)
    prediction = predict_video(model, class_names_for(classes, model), args.video,
                               base_size=args.base_size or config.base_size,
                               crop_size=args.crop_size or config.crop_size, frames=args.frames, device=args.device,
                               amp=args.amp)
    first, last = prediction.step_frames[0][0], prediction.step_frames[-1][1]
    print(f"{args.video}: frames {first}–{last}, {len(prediction.step_frames)} time steps")
    print(prediction.top(args.top).to_string(float_format="{:.3f}".format))
    print("\nprobability of each of these classes at each time step:")
    print(prediction.steps(args.top).to_string(float_format="{:.3f}".format))
    if args.csv:
        print(f"wrote {prediction.to_csv(args.csv)}")
    return 0


def _bench_train(args: argparse.Namespace) -> int:
    from .bench import loader_operators, model_step_operators, training_throughput

    before = _saved_benchmark(args, "bench-train")
    table = training_throughput(_config_from_args(args), steps=args.steps, rounds=args.rounds)
    print(table.attrs["input"])
    print(table.to_string(index=False, formatters={"clips_per_s": "{:.1f}".format,
                                                   "of the model step": "{:.0%}".format}))
    print(f"bottleneck: {table.attrs['bottleneck']}; the training loop runs at "
          f"{table.attrs['loop_vs_model']:.0%} of the model step's clips/s")
    paired = table.attrs
    print(f"step by step, a loop step after each model step: the loop runs at {paired['paired_loop_vs_model']:.0%} "
          f"of the model step (95% interval {paired['paired_low']:.0%}–{paired['paired_high']:.0%} over the pairs)")
    print(f"loading and stepping in turn, the loop would reach 90% of the model step with a loader of "
          f"{table.attrs['loader_for_90_percent']:.0f} clips/s; training's makes "
          f"{table.attrs['loader_clips_per_s']:.0f}")
    _compare_and_save(args, "bench-train", before, table, key="measure", values=["clips_per_s"])
    if args.operators:
        operators = model_step_operators(_config_from_args(args), top=args.operators)
        print(f"\nthe model step: {operators.attrs['step_ms']:.0f} ms, "
              f"{operators.attrs['gflop_per_step']:.1f} GFLOP forward and backward, "
              f"{operators.attrs['gflop_per_s']:.0f} GFLOP/s ({operators.attrs['of_matmul']:.0%} of this CPU's "
              f"float32 matrix product, {operators.attrs['matmul_gflop_per_s']:.0f} GFLOP/s); its slowest operators:")
        print(operators.to_string(index=False, formatters={"ms per step": "{:.1f}".format,
                                                           "calls per step": "{:.0f}".format,
                                                           "of the step": "{:.0%}".format}))
        loading = loader_operators(_config_from_args(args), top=args.operators)
        print(f"\nthe data loader ({loading.attrs['store']}): {loading.attrs['clip_us']:.0f} µs per clip; "
              f"its slowest operators, and the time outside them:")
        print(loading.to_string(index=False, na_rep="", formatters={"µs per clip": "{:.1f}".format,
                                                                     "calls per clip": "{:.1f}".format,
                                                                     "of the clip": "{:.0%}".format}))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .sweep import SWEEPS, load_sweep, missing_records, restamp_records, run_sweep, stale_records, sweeps_dir

    folder = Path(args.out) if args.out else sweeps_dir()
    names = list(SWEEPS) if args.name == "all" else [args.name]
    if args.compare:
        return _compare_sweeps(names, folder, Path(args.compare))
    if args.restamp:
        for name in names:
            restamped = restamp_records(name, folder, verify_against=args.verify_against, seeds=args.seeds,
                                        profile=args.profile, progress=not args.no_progress)
            print(f"{name}: {len(restamped)} records restamped to today's training code" if restamped
                  else f"{name}: no record is stale by its training code alone")
        left = [f"{name}: {line}" for name in names for line in stale_records(name, folder)]
        print("\n".join(left) if left else f"every record in {folder} is current")
        return 1 if left else 0
    if args.check:
        to_train = [f"{name}: {line}" for name in names
                    for line in stale_records(name, folder) + missing_records(name, folder)]
        if not to_train:
            print(f"every record in {folder} is there and current")
            return 0
        print("\n".join(to_train))
        print(f"{len(to_train)} records to train: `mict sweep {args.name}` trains them (resumably)")
        return 1
    for name in names:
        run_sweep(name, arms=args.arms.split(",") if args.arms else None, seeds=args.seeds, folder=folder,
                  profile=args.profile, progress=not args.no_progress)
        for arm, records in load_sweep(name, folder).items():
            top1 = ", ".join(f"{r.top1():.1f}" for r in records)
            print(f"{name} {arm}: test top-1 by seed {top1}")
    print(f"records in {folder}")
    return 0


def _compare_sweeps(names: list[str], folder: Path, other: Path) -> int:
    import pandas as pd

    from .course.analysis.machines import cpus, findings_on_both, runs_side_by_side
    from .sweep import get_sweep, load_sweep

    if not other.is_dir():
        raise ConfigError(f"--compare: no folder {other} (a folder of sweep records, as `mict sweep --out` writes)")
    changed = 0
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        for name in names:
            a, b = load_sweep(name, folder), load_sweep(name, other)
            if not a or not b:
                print(f"{name}: no records in {folder if not a else other}; nothing to compare\n")
                continue
            print(f"{name}: A = {folder} ({cpus(a)}); B = {other} ({cpus(b)})")
            labels = {arm.name: arm.label for arm in get_sweep(name).arms}
            runs = runs_side_by_side(a, b, labels)
            print(runs[["arm", "seeds", "identical seeds", "difference", "low", "high", "p_value"]]
                  .rename(columns={"difference": "B − A"}).round(3).to_string(index=False))
            for sentence in runs["verdict"]:
                print("·", sentence)
            findings = findings_on_both(name, a, b)
            print(findings.to_string(index=False) if len(findings) else "no comparison both record sets can make")
            changed += int((~findings["same finding"]).sum())
            print()
    print("every finding is the same from both record sets" if not changed
          else f"{changed} finding(s) differ between the two record sets")
    return 1 if changed else 0


def _lengths(text: str) -> tuple[int, ...]:
    """'16,35,75' → (16, 35, 75)."""
    return tuple(_positive(part) for part in text.split(","))


def _seeds(text: str) -> list[int]:
    """'0-4' → [0, 1, 2, 3, 4]; '0,2,5' → [0, 2, 5]."""
    try:
        if "-" in text:
            low, high = (int(v) for v in text.split("-"))
            return list(range(low, high + 1))
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 0-4 or 0,2,5, got {text!r}") from None


def _course(args: argparse.Namespace) -> int:
    from .course import format_course_table, run_course

    only = [part.strip() for part in args.only.split(",")] if args.only else None
    table = run_course(args.profile, only=only, figures_only=args.figures_only, retrain=args.retrain)
    print(format_course_table(table))
    failed = table[table["status"] != "ok"]
    for _, row in failed.iterrows():
        print(f"{row['notebook']} failed: {row['error']}\n  see {row['executed']}", file=sys.stderr)
    return 1 if len(failed) else 0


def _add_saving_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--save", metavar="FILE.json", help="keep this run's table (and its machine) in FILE.json")
    command.add_argument("--against", metavar="FILE.json",
                         help="print this run beside one saved with --save (before and after a change)")


def build_parser() -> argparse.ArgumentParser:
    from .data.synth import PRESETS as SYNTH_PRESETS
    from .models import TEMPORAL_KERNELS, list_models
    from .runtime import AMP_MODES

    parser = argparse.ArgumentParser(prog="mict", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    speed = commands.add_parser(
        "speed",
        help="parameters, FLOPs, latency, frames/s and memory of one or more models",
        description="Benchmark models on random clips (the original's test_speed.py used 1×3×16×160×160). "
                    "Each model's GFLOP/s is also set against this device's float32 matrix product "
                    "(of_matmul): how much of its arithmetic speed the model uses.",
    )
    speed.add_argument("--model", action="append", choices=list_models(),
                       help="repeat to compare several (default: mict_resnet18 and resnet3d_18)")
    speed.add_argument("--batch", type=_positive, default=1)
    speed.add_argument("--frames", type=_positive, default=16)
    speed.add_argument("--size", type=_positive, default=160)
    speed.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    speed.add_argument("--width", type=_positive, default=64)
    speed.add_argument("--num-classes", type=_positive, default=101)
    speed.add_argument("--version", choices=["v1", "v2"], default="v1")
    speed.add_argument("--temporal-kernel", type=int, choices=TEMPORAL_KERNELS, default=7)
    speed.add_argument("--runs", type=_positive, default=20)
    speed.add_argument("--warmup", type=_non_negative, default=3)
    speed.add_argument("--baseline", help="model whose frames/s the others are compared with")
    speed.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    speed.add_argument("--original-layout", action="store_true",
                       help="also measure each model with the original implementation's tensor layout "
                            "(contiguous N·C·T·H·W clips, time folded by transpose + copy)")
    speed.add_argument("--compile", action="store_true",
                       help="also measure each model compiled for inference (torch.compile, inductor, with "
                            "freezing: batch norms folded into convolutions); the first call compiles, for "
                            "seconds to a minute")
    speed.add_argument("--csv", help="also write the table to this CSV file")
    _add_saving_flags(speed)
    speed.set_defaults(run=_speed)

    synth = commands.add_parser(
        "synth", help="generate the synthetic motion dataset in UCF-101's layout",
        description="Write videos whose classes are motions only, with UCF-101's folders and split lists.")
    synth.add_argument("--out", required=True, help="folder to write UCF-101/ and ucfTrainTestlist/ into")
    synth.add_argument("--preset", default="motion", choices=list(SYNTH_PRESETS),
                       help="the dataset the other flags start from: motion (the course's ten motions) or "
                            "speed (three classes that differ only in speed)")
    synth.add_argument("--classes", nargs="+", help="a subset of the catalogue's classes (default: the preset's)")
    synth.add_argument("--groups", type=int, help="groups per class (≥ 21, as split 3 needs; default: the preset's)")
    synth.add_argument("--clips", type=_range, help="clips per group, e.g. 4-5 (default: the preset's)")
    synth.add_argument("--frames", type=_range, help="video length range, e.g. 40-100 (default: the preset's)")
    synth.add_argument("--size", help="frame size WIDTHxHEIGHT (default: the preset's)")
    synth.add_argument("--seed", type=int, help="default: the preset's")
    synth.add_argument("--workers", type=_positive, help="processes (default: one per CPU core)")
    synth.set_defaults(run=_synth)

    prepare = commands.add_parser(
        "prepare", help="decode UCF-101 (or the synthetic set) into JPEG frames and a manifest",
        description="Decode every listed video of ROOT/UCF-101 into OUT/frames and write OUT/manifest.csv. "
                    "Resumable: a rerun skips finished videos.")
    prepare.add_argument("--root", required=True, help="holds UCF-101/ and ucfTrainTestlist/ (or the zip)")
    prepare.add_argument("--out", required=True, help="folder for frames/, manifest.csv and failures.csv")
    prepare.add_argument("--size", default="256x192",
                         help="frame size to store, WIDTHxHEIGHT (default 256x192), or 'original'")
    prepare.add_argument("--workers", type=_positive, help="processes (default: one per CPU core)")
    prepare.add_argument("--verify", action="store_true",
                         help="decode every frame of the videos already prepared and prepare again those whose "
                              "frames do not all decode")
    prepare.set_defaults(run=_prepare)

    bench_data = commands.add_parser(
        "bench-data", help="training clips/s of the data loader against the original's PIL pipeline",
        description="Time clip loading + augmentation in one process (per CPU core with --threads 1).")
    bench_data.add_argument("--root", help="a prepared dataset (default: generate UCF-sized synthetic frames)")
    bench_data.add_argument("--original-root", help="the same videos prepared at their source size (optional)")
    bench_data.add_argument("--frames", type=_positive, default=16)
    bench_data.add_argument("--crop-size", type=_positive, default=160)
    bench_data.add_argument("--base-size", type=_positive, default=192)
    bench_data.add_argument("--clips", type=_positive, default=200)
    bench_data.add_argument("--threads", type=_positive, default=1)
    bench_data.set_defaults(run=_bench_data)

    bench_prepare = commands.add_parser(
        "bench-prepare", help="frames/s of `mict prepare` against ffmpeg run once per video",
        description="Needs the ffmpeg command line (benchmark only).")
    bench_prepare.add_argument("--root", help="holds UCF-101/ and the lists (default: generate UCF-sized videos)")
    bench_prepare.add_argument("--workers", type=_positive, default=2)
    bench_prepare.set_defaults(run=_bench_prepare)

    train = commands.add_parser(
        "train", help="train a model (default: the quick profile on the synthetic dataset)",
        description="Train with the quick profile (CPU, synthetic data, minutes) or the full profile (the "
                    "original's UCF-101 recipe). Under `torchrun --nproc_per_node=N -m mict train` it runs "
                    "DistributedDataParallel.")
    train.add_argument("--profile", choices=["quick", "full"], default="quick")
    _add_config_flags(train)
    train.add_argument("--resume", action="store_true", help="continue the run in the output folder")
    train.add_argument("--overwrite", action="store_true", help="replace the run in the output folder")
    train.add_argument("--no-test", action="store_true", help="skip the test-split evaluation at the end")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.set_defaults(run=_train)

    bench_train = commands.add_parser(
        "bench-train", help="training clips/s: the model alone, the data loader alone, and both",
        description="Find the bottleneck of a training configuration (default: the quick profile).")
    bench_train.add_argument("--profile", choices=["quick", "full"], default="quick")
    _add_config_flags(bench_train)
    bench_train.add_argument("--steps", type=_positive, default=60, help="steps per measure")
    bench_train.add_argument("--rounds", type=_positive, default=3,
                             help="interleaved repetitions of every measure; the table gives the median")
    bench_train.add_argument("--operators", type=_non_negative, default=0, metavar="N",
                             help="then profile the model step and the data loader and list each one's N slowest "
                                  "operators, with the step's GFLOP/s")
    _add_saving_flags(bench_train)
    bench_train.set_defaults(run=_bench_train)

    from .sweep import SWEEPS

    sweep = commands.add_parser(
        "sweep", help="train a grid of configurations × seeds and keep every run's per-video predictions",
        description="Train every arm of a sweep with every seed (through the run cache; resumable) and write "
                    "one record per run: its configuration, key and code versions, and its per-video test and "
                    "validation probabilities. " + " ".join(f"'{k}': {v.description}." for k, v in SWEEPS.items()))
    sweep.add_argument("name", choices=[*SWEEPS, "all"])
    sweep.add_argument("--arms", help="comma-separated arm names (default: every arm)")
    sweep.add_argument("--seeds", type=_seeds, help="e.g. 0-4 or 0,2 (default: the sweep's)")
    sweep.add_argument("--out", help="folder of the records (default: data/sweeps, the shipped ones)")
    sweep.add_argument("--profile", choices=["quick", "full"], default="quick")
    sweep.add_argument("--check", action="store_true",
                       help="train nothing: list the records today's code would key differently (exit 1 if any)")
    sweep.add_argument("--compare", metavar="FOLDER",
                       help="train nothing: set the records in FOLDER (the same sweeps on another machine, say) "
                            "beside those of --out, arm by arm and finding by finding (exit 1 if a finding differs)")
    sweep.add_argument("--restamp", action="store_true",
                       help="records stale by the training code alone: retrain --seeds (default 0) of every arm and, "
                            "if each reproduces its record bit for bit, move them all to today's code version")
    sweep.add_argument("--verify-against", metavar="FOLDER",
                       help="with --restamp: the records made on this CPU to reproduce (default: --out)")
    sweep.add_argument("--no-progress", action="store_true")
    sweep.set_defaults(run=_sweep)

    course = commands.add_parser(
        "course", help="execute the course's notebooks headlessly into build/notebooks and regenerate figures/",
        description="Run every notebook (or --only some) with its parameters; trained models are cached in "
                    "build/runs by configuration. Ends with a table of each notebook's status and time.")
    course.add_argument("--profile", choices=["quick", "full"], default="quick")
    course.add_argument("--only", help="comma-separated notebook prefixes, e.g. 04,05")
    course.add_argument("--figures-only", action="store_true",
                        help="regenerate the figures from cached runs only: never train")
    course.add_argument("--retrain", action="store_true", help="train again instead of reusing cached runs")
    course.set_defaults(run=_course)

    predict = commands.add_parser(
        "predict", help="the top classes of a video file, and their probabilities at each time step",
        description="Predict the action in any video PyAV reads (avi, mp4, …), preprocessed as at test time. "
                    "For a checkpoint of the original implementation, describe its architecture with "
                    "--model/--version/--temporal-kernel/--width.")
    predict.add_argument("video")
    predict.add_argument("--checkpoint", required=True, help="best.pt or last.pt of a run, or an original .pth.tar")
    predict.add_argument("--frames", type=_positive, help="only the first N frames (default: the whole video)")
    predict.add_argument("--top", type=_positive, default=5)
    predict.add_argument("--csv", help="also write every class's probability at every time step to this file")
    predict.add_argument("--crop-size", type=_positive)
    predict.add_argument("--base-size", type=_positive)
    predict.add_argument("--device", default="auto")
    predict.add_argument("--amp", default="auto", choices=AMP_MODES)
    predict.add_argument("--model", default="mict_resnet18", choices=list_models())
    predict.add_argument("--version", default="v1", choices=["v1", "v2"])
    predict.add_argument("--temporal-kernel", type=int, default=7, choices=TEMPORAL_KERNELS)
    predict.add_argument("--width", type=_positive, default=64)
    predict.set_defaults(run=_predict)

    test = commands.add_parser(
        "test", help="evaluate a checkpoint: clip, long-clip and multi-clip video accuracy",
        description="Evaluate a checkpoint of this project, or of the original implementation (then describe "
                    "its architecture with --model/--version/--temporal-kernel).")
    test.add_argument("--checkpoint", required=True)
    test.add_argument("--data", help="prepared dataset (default: the checkpoint's)")
    test.add_argument("--split", type=int, choices=[1, 2, 3])
    test.add_argument("--subset", choices=["test", "val"], default="test")
    test.add_argument("--frames", type=_positive, help="clip length for the clip and K-clip evaluations "
                                                 "(default: the training clip length, 16 for original checkpoints)")
    test.add_argument("--long", type=_lengths, default=(),
                      help="comma-separated lengths N for the first-N-frames evaluation, e.g. 16,35,75,150,300")
    test.add_argument("--clips", type=_non_negative, default=0, help="also average K clips spread over each video")
    test.add_argument("--crop-size", type=_positive)
    test.add_argument("--base-size", type=_positive)
    test.add_argument("--batch-size", type=_positive, default=16)
    test.add_argument("--device", default="auto")
    test.add_argument("--amp", default="auto", choices=AMP_MODES,
                      help="mixed precision, as in training: auto is bf16 or fp16 on CUDA, float32 elsewhere")
    test.add_argument("--workers", type=_non_negative, default=0)
    test.add_argument("--out", help="folder for the CSV files (default: next to the checkpoint)")
    test.add_argument("--model", default="mict_resnet18", choices=list_models(),
                      help="architecture of an original checkpoint")
    test.add_argument("--version", default="v1", choices=["v1", "v2"])
    test.add_argument("--temporal-kernel", type=int, default=7, choices=TEMPORAL_KERNELS)
    test.add_argument("--width", type=_positive, default=64)
    test.set_defaults(run=_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_freed_memory()
    try:
        return args.run(args)
    except MictError as error:
        print(f"mict {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mict {args.command}: interrupted", file=sys.stderr)
        return 130
