"""Writing files so that a reader never sees half of one.

Every file the project writes (videos, lists, manifests, checkpoints, logs, results,
figures) goes to a hidden temporary file beside its target first and is renamed over
it only once complete: an interrupted job leaves the previous version, never a torn one.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` when the block succeeds.

    `suffix` ends the temporary name, for writers that pick a format by extension
    (matplotlib: '.tmp.png').
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
