"""Keeping freed memory in the process, so that every step's large tensors do not page-fault anew.

glibc's malloc gives each block above its mmap threshold (128 kB at first, rising to at most 32 MB
as such blocks are freed) pages of its own from the kernel, hands them back when the block is freed,
and returns the free top of its heap once that exceeds twice the threshold. A training or inference
step allocates and frees the same large activations and gradients every time, so every step writes
to fresh pages and pays the kernel a page fault for each 4 kB of them; the profiler shows that time
in whichever operator first writes the tensor (`fill_`, `copy_`, a convolution). Raising both
thresholds keeps the memory in the process for the next step to reuse. Where tensors live changes,
never their values: tests/test_allocator.py trains with and without it to the same weights, bit for bit.

The `mict` command and the course's notebooks call `keep_freed_memory()` when they start; a script
that uses the library can call it too. MICT_KEEP_FREED_MEMORY=0 leaves malloc as it is.
"""

import ctypes
import ctypes.util
import os
from functools import cache

#: mallopt's parameter numbers (glibc's malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Blocks below this size come from the heap, where freed ones are reused, instead of pages of their own.
MMAP_THRESHOLD = 256 * 2**20
#: Free memory at the top of the heap kept for reuse before any is returned to the system.
TRIM_THRESHOLD = 512 * 2**20


@cache
def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds, once per process. False where nothing was changed:
    a C library without mallopt (not glibc), or MICT_KEEP_FREED_MEMORY=0."""
    if os.environ.get("MICT_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # the mmap threshold first: setting either one stops glibc from adapting the other
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
