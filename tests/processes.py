"""What test and benchmark processes need: a free loopback port, the installed commands (`bilateral`,
the `oxigraph` server) and what Linux tells of a running process (its children, its CPU time)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def installed(name: str) -> str | None:
    """A command on the PATH or beside this Python (`bilateral`; `oxigraph`, a test dependency)."""
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    return found if Path(found).exists() else None


def children(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc); none once it has ended."""
    try:
        return [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except FileNotFoundError:
        return []


def cpu_seconds(pid: int, *, with_descendants: bool = False) -> float:
    """User and system CPU time of a process (Linux /proc), and of all its descendants if asked; 0 for
    a process that has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if not with_descendants:
        return own
    return own + sum(cpu_seconds(child, with_descendants=True) for child in children(pid))
