"""Children that die with their parent: PR_SET_PDEATHSIG on Linux, checked against a parent that is already gone."""
from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits; exit now if the parent is already gone.

    Returns False where prctl is not available (not Linux): the engine then relies on stdin EOF alone.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if expected_parent is not None and os.getppid() != expected_parent:  # the parent died before prctl
        os._exit(1)
    return True
