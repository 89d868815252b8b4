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
