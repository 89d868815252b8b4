"""The `mict` command: one subcommand per job, each a thin wrapper over the library."""

import argparse
import sys


def _speed(args: argparse.Namespace) -> int:
    from .bench import benchmark_models, format_table

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
    )
    print(format_table(table))
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


def _range(text: str) -> tuple[int, int]:
    """'4-5' → (4, 5); '16' → (16, 16)."""
    try:
        low, _, high = text.partition("-")
        return int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or a range like 40-100, got {text!r}") from None


def _synth(args: argparse.Namespace) -> int:
    from .data.prepare import parse_size
    from .data.synth import MOTION_CLASSES, SynthConfig, generate_dataset

    width, height = parse_size(args.size)
    config = SynthConfig(classes=tuple(args.classes or MOTION_CLASSES), groups=args.groups,
                         clips_per_group=args.clips, frames=args.frames, width=width, height=height,
                         seed=args.seed)
    summary = generate_dataset(args.out, config, workers=args.workers)
    print(f"wrote {summary['videos']} videos ({summary['frames']} frames, {summary['classes']} classes) "
          f"in UCF-101's layout under {summary['out']}\n"
          f"next: mict prepare --root {summary['out']} --out PREPARED_DIR")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from .data.prepare import parse_size, prepare_dataset

    report = prepare_dataset(args.root, args.out, size=parse_size(args.size), workers=args.workers)
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


def build_parser() -> argparse.ArgumentParser:
    from .models import TEMPORAL_KERNELS, list_models

    parser = argparse.ArgumentParser(prog="mict", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    speed = commands.add_parser(
        "speed",
        help="parameters, FLOPs, latency, frames/s and memory of one or more models",
        description="Benchmark models on random clips (the original's test_speed.py used 1×3×16×160×160).",
    )
    speed.add_argument("--model", action="append", choices=list_models(),
                       help="repeat to compare several (default: mict_resnet18 and resnet3d_18)")
    speed.add_argument("--batch", type=int, default=1)
    speed.add_argument("--frames", type=int, default=16)
    speed.add_argument("--size", type=int, default=160)
    speed.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    speed.add_argument("--width", type=int, default=64)
    speed.add_argument("--num-classes", type=int, default=101)
    speed.add_argument("--version", choices=["v1", "v2"], default="v1")
    speed.add_argument("--temporal-kernel", type=int, choices=TEMPORAL_KERNELS, default=7)
    speed.add_argument("--runs", type=int, default=20)
    speed.add_argument("--warmup", type=int, default=3)
    speed.add_argument("--baseline", help="model whose frames/s the others are compared with")
    speed.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    speed.add_argument("--csv", help="also write the table to this CSV file")
    speed.set_defaults(run=_speed)

    synth = commands.add_parser(
        "synth", help="generate the synthetic motion dataset in UCF-101's layout",
        description="Write videos whose classes are motions only, with UCF-101's folders and split lists.")
    synth.add_argument("--out", required=True, help="folder to write UCF-101/ and ucfTrainTestlist/ into")
    synth.add_argument("--classes", nargs="+", help="a subset of the motion classes (default: all ten)")
    synth.add_argument("--groups", type=int, default=25, help="groups per class (≥ 21, as split 3 needs)")
    synth.add_argument("--clips", type=_range, default=(4, 5), help="clips per group, e.g. 4-5")
    synth.add_argument("--frames", type=_range, default=(40, 100), help="video length range, e.g. 40-100")
    synth.add_argument("--size", default="128x96", help="frame size WIDTHxHEIGHT")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--workers", type=int, help="processes (default: one per CPU core)")
    synth.set_defaults(run=_synth)

    prepare = commands.add_parser(
        "prepare", help="decode UCF-101 (or the synthetic set) into JPEG frames and a manifest",
        description="Decode every listed video of ROOT/UCF-101 into OUT/frames and write OUT/manifest.csv. "
                    "Resumable: a rerun skips finished videos.")
    prepare.add_argument("--root", required=True, help="holds UCF-101/ and ucfTrainTestlist/ (or the zip)")
    prepare.add_argument("--out", required=True, help="folder for frames/, manifest.csv and failures.csv")
    prepare.add_argument("--size", default="256x192",
                         help="frame size to store, WIDTHxHEIGHT (default 256x192), or 'original'")
    prepare.add_argument("--workers", type=int, help="processes (default: one per CPU core)")
    prepare.set_defaults(run=_prepare)

    bench_data = commands.add_parser(
        "bench-data", help="training clips/s of the data loader against the original's PIL pipeline",
        description="Time clip loading + augmentation in one process (per CPU core with --threads 1).")
    bench_data.add_argument("--root", help="a prepared dataset (default: generate UCF-sized synthetic frames)")
    bench_data.add_argument("--original-root", help="the same videos prepared at their source size (optional)")
    bench_data.add_argument("--frames", type=int, default=16)
    bench_data.add_argument("--crop-size", type=int, default=160)
    bench_data.add_argument("--base-size", type=int, default=192)
    bench_data.add_argument("--clips", type=int, default=200)
    bench_data.add_argument("--threads", type=int, default=1)
    bench_data.set_defaults(run=_bench_data)

    bench_prepare = commands.add_parser(
        "bench-prepare", help="frames/s of `mict prepare` against ffmpeg run once per video",
        description="Needs the ffmpeg command line (benchmark only).")
    bench_prepare.add_argument("--root", help="holds UCF-101/ and the lists (default: generate UCF-sized videos)")
    bench_prepare.add_argument("--workers", type=int, default=2)
    bench_prepare.set_defaults(run=_bench_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"mict {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mict {args.command}: interrupted", file=sys.stderr)
        return 130
