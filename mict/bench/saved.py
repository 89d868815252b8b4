"""Benchmark tables kept on disk and set side by side: the same command before and after a change,
or on two machines, read as one table. A speed-up is a ratio of two measurements, so both must say
which machine, threads and torch they came from."""

import json
from pathlib import Path

import pandas as pd
import torch

from ..atomic import atomic_path
from ..errors import DataError, MissingFileError

FORMAT = "mict-benchmark/1"


def this_machine() -> dict:
    """`mict.sweep.machine()` and the vector instructions torch dispatches to: two CPUs with one model
    name (an AMD EPYC with AVX2, another with AVX512) run at different speeds."""
    from ..sweep import machine

    return {**machine(), "capability": torch.backends.cpu.get_cpu_capability()}


def save_table(table: pd.DataFrame, path: str | Path, *, command: str) -> Path:
    """Write `table` (its rows and its `attrs`) with the machine that measured it, as JSON, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "command": command, "machine": this_machine(),
               "attrs": {k: v for k, v in table.attrs.items() if isinstance(v, str | int | float | bool)},
               "rows": json.loads(table.to_json(orient="records"))}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path


def load_table(path: str | Path, *, command: str) -> pd.DataFrame:
    """A table `save_table` wrote for `command`; `attrs` holds its attrs, `machine` and `command`."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such benchmark file; write one with `mict {command} --save {path}`")
    try:
        payload = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not a saved benchmark ({error}); write one with `mict {command} --save`") from None
    complete = isinstance(payload, dict) and {"command", "machine", "rows"} <= set(payload)
    if not complete or payload.get("format") != FORMAT:
        raise DataError(f"{path}: not a saved benchmark (expected format {FORMAT!r} with its command, machine and "
                        f"rows); write one with `mict {command} --save`")
    if payload["command"] != command:
        raise DataError(f"{path} holds a `mict {payload['command']}` benchmark, not `mict {command}`: compare "
                        f"like with like")
    table = pd.DataFrame(payload["rows"])
    table.attrs.update(payload.get("attrs", {}), machine=payload["machine"], command=command)
    return table


def describe_machine(machine: dict) -> str:
    capability = f" ({machine['capability']})" if machine.get("capability") else ""
    return f"{machine['cpu']}{capability}, {machine['threads']} threads, torch {machine['torch']}, {machine['device']}"


def side_by_side(before: pd.DataFrame, now: pd.DataFrame, *, key: str, value: str) -> pd.DataFrame:
    """One row per `key` of either table: `value` before, now, and now / before (NaN where a row is
    in one table only, as when a measure was added or a model left out)."""
    keys = list(dict.fromkeys([*before[key], *now[key]]))  # the saved order, then what is new
    table = pd.DataFrame({key: keys,
                          f"{value} before": before.set_index(key)[value].reindex(keys).to_numpy(dtype=float),
                          f"{value} now": now.set_index(key)[value].reindex(keys).to_numpy(dtype=float)})
    table["now / before"] = table[f"{value} now"] / table[f"{value} before"].where(lambda v: v != 0)
    return table
