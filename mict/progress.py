"""Whether to draw progress bars: on for people, off when the course runs headlessly."""

import os


def show_progress(requested: bool | None = None) -> bool:
    """`requested` when given; otherwise on, unless MICT_PROGRESS=0 (set by `mict course`, whose
    executed notebooks would otherwise keep a frozen bar per epoch)."""
    if requested is not None:
        return requested
    return os.environ.get("MICT_PROGRESS", "1") != "0"
