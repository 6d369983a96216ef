"""A process launcher for the e2e tests: `python -m tests.e2e.zygote`.

Importing aiogram costs 10-15 s of CPU on a loaded two-core machine (pydantic builds its
models), and the crash tests start `rupor run` many times. The zygote imports the suite
once, then forks one child per request that calls an entry point the way a console script
does (`rupor` is `bots.cli.main:main` with sys.argv set). Each child is a real, separate
process: the tests kill -9 it, SIGTERM it and read its exit status like any other.

Protocol, one JSON object per line:
  stdin  {"entry": "bots.cli.main:main", "argv": [...], "cwd": DIR, "out": FILE, "err": FILE,
          "rc": FILE}
  stdout {"pid": PID}            the child is running
The child writes its exit status to "rc" when it exits by itself (not when killed).
`python -m tests.e2e.zygote --once REQUEST` runs one request in this very process.
Closing stdin ends the zygote; it never waits for its children (SIGCHLD is ignored, so
the kernel reaps them and a dead child's pid disappears at once).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import signal
import sys
import traceback
from typing import Any

PRELOAD = (
    "bots.cli.main",
    "bots.cli.audience",
    "bots.cli.campaigns",
    "bots.suite",
    "bots.telegram",
    "bots.vk",
    "bots.viber",
    "core.sending.runs",
    "core.sending.dispatch",
    "core.audience.importing.job",
    "core.reach.report",
)


def _die_with_parent() -> None:
    """Linux: SIGTERM when the zygote ends (it ends when pytest does), so a `rupor run`
    left behind by a killed test session stops too."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child(request: dict[str, Any]) -> None:
    """Runs in the forked child; never returns."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 1
    try:
        os.setsid()  # signals to the test's process group never reach the child by accident
        _die_with_parent()
        os.chdir(request["cwd"])
        stdin = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for fd, target in ((stdin, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        # Fresh file objects: the parent's may have been locked by another thread at fork.
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the process
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115 - same
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115 - same
        module, _, function = request["entry"].partition(":")
        sys.argv = [module, *request["argv"]]
        try:
            result = getattr(importlib.import_module(module), function)()
            code = result if isinstance(result, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # the child must never fall back into the zygote's loop
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            with open(request["rc"], "w", encoding="utf-8") as rc:
                rc.write(str(code))
        finally:
            os._exit(code)


def main() -> None:
    if sys.argv[1:2] == ["--once"]:  # RUPOR_E2E_FRESH=1: one command, no fork
        _child(json.loads(sys.argv[2]))
    for name in PRELOAD:
        __import__(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    main()
