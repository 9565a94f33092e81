"""glibc's malloc set up for a training process on the CPU.

PyTorch's CPU tensors come from malloc. glibc serves a block above its mmap threshold (128 KiB
at first) with a fresh ``mmap`` and hands it back on ``free``, and it returns the top of its heap
to the system once more than the trim threshold is free there. A training step allocates and
frees the same large blocks (activations, gradients, the logits) every batch, so the process
keeps asking the kernel for zeroed pages: at word level, over a million page faults in three
epochs and a fifth of the run in the kernel (BENCHMARKS.md, "Word level against PyTorch's
word_language_model"). With blocks up to the largest mmap threshold glibc allows (32 MiB) taken
from the heap, and freed memory kept there for the next batch, the same pages serve every step.
The process then holds its peak working set until it ends, as it would have needed anyway.

PyTorch's performance guide suggests swapping malloc for jemalloc or tcmalloc with LD_PRELOAD,
which must happen before the process starts; ``mallopt`` does the part of it that matters here
from inside, with no extra dependency. Only the ``rnnlab train`` process calls it: a library
should not change the allocator of a process it does not own.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest on 64-bit systems (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD = 2 ** 30  # keep up to 1 GiB of freed heap for the next batches


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to serve blocks up to 32 MiB from its heap and to keep freed memory
    there. Returns whether it took both settings (False off Linux, and with a libc such as musl,
    whose mallopt takes none)."""
    if not sys.platform.startswith("linux"):
        return False
    try:  # the process's own symbols hold libc's (find_library would run ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
