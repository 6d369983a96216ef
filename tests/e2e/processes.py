"""Child processes of the e2e tests: `rupor …` commands that can be killed, signalled, waited.

By default they are forked by the zygote (tests/e2e/zygote.py), which pays aiogram's import
once; RUPOR_E2E_FRESH=1 starts every command in a fresh interpreter instead (the same
entry point, only slower: 10-15 s of imports per command on a loaded machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
RUPOR = "bots.cli.main:main"
READY_TIMEOUT_S = 120.0  # the zygote imports aiogram; slow when other work loads the machine


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (fresh mode, not yet reaped by Popen) is dead for our purposes
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class Job:
    """One child process and the files holding its output and exit status."""

    name: str
    pid: int
    out: Path
    err: Path
    rc_file: Path
    popen: subprocess.Popen[bytes] | None = None
    killed: bool = False

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return _pid_alive(self.pid)

    def returncode(self) -> int | None:
        """The status the command exited with; None while running or when it was killed."""
        if self.alive():
            return None
        try:
            text = self.rc_file.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to this child only (by its pid), if it is still running."""
        if self.alive():
            os.kill(self.pid, sig)
            if sig is signal.SIGKILL:
                self.killed = True

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    async def wait(self, timeout: float) -> int | None:
        """Wait for the child to end; its exit status (None when it was killed)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} still running after {timeout:.0f} s\n"
                                     + self.output())
            await asyncio.sleep(0.02)
        return self.returncode()

    def output(self) -> str:
        parts = []
        for label, path in (("stdout", self.out), ("stderr", self.err)):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {self.name} {label} ---\n{text[-6000:]}")
        return "\n".join(parts)

    def stdout(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""


@dataclass
class Launcher:
    """Starts commands as child processes (through the zygote unless RUPOR_E2E_FRESH=1)."""

    fresh: bool = field(default_factory=lambda: os.environ.get("RUPOR_E2E_FRESH") == "1")
    jobs: list[Job] = field(default_factory=list)
    _zygote: subprocess.Popen[str] | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warm_up(self) -> None:
        """Start the zygote now (its imports overlap with other tests); does not wait."""
        if self.fresh or self._zygote is not None:
            return
        self._zygote = subprocess.Popen(
            [PYTHON, "-m", "tests.e2e.zygote"], cwd=ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        threading.Thread(target=self._await_ready, daemon=True).start()

    def _await_ready(self) -> None:
        assert self._zygote is not None and self._zygote.stdout is not None
        line = self._zygote.stdout.readline()
        if line and json.loads(line).get("ready"):
            self._ready.set()

    async def start(self, argv: list[str], workdir: Path, name: str,
                    entry: str = RUPOR) -> Job:
        """Run `entry` (a console-script style function) with sys.argv[1:] = argv."""
        count = sum(1 for j in self.jobs if j.name == name)
        stem = workdir / f"{name}-{count}"
        out, err, rc = (stem.with_suffix(s) for s in (".out", ".err", ".rc"))
        request = {"entry": entry, "argv": argv, "cwd": str(workdir),
                   "out": str(out), "err": str(err), "rc": str(rc)}
        if self.fresh:
            popen = subprocess.Popen([PYTHON, "-m", "tests.e2e.zygote", "--once",
                                      json.dumps(request)], cwd=ROOT)
            job = Job(name, popen.pid, out, err, rc, popen)
        else:
            job = Job(name, await asyncio.to_thread(self._fork, request), out, err, rc)
        self.jobs.append(job)
        return job

    def _fork(self, request: dict[str, Any]) -> int:
        self.warm_up()
        if not self._ready.wait(READY_TIMEOUT_S):
            raise AssertionError("the e2e zygote did not become ready (imports failed?)")
        assert self._zygote is not None and self._zygote.stdin and self._zygote.stdout
        with self._lock:
            self._zygote.stdin.write(json.dumps(request) + "\n")
            self._zygote.stdin.flush()
            return int(json.loads(self._zygote.stdout.readline())["pid"])

    async def run(self, argv: list[str], workdir: Path, name: str, timeout: float = 60.0,
                  entry: str = RUPOR) -> Job:
        """Start a command and wait for it to end; fails unless it exits 0."""
        job = await self.start(argv, workdir, name, entry)
        code = await job.wait(timeout)
        assert code == 0, f"{name} exited with {code}\n{job.output()}"
        return job

    def stop_jobs(self) -> None:
        """Kill children a test left running (each by its own pid)."""
        for job in self.jobs:
            job.kill()
            if job.popen is not None:
                job.popen.wait(10)
        self.jobs.clear()

    def close(self) -> None:
        self.stop_jobs()
        zygote, self._zygote = self._zygote, None
        if zygote is not None and zygote.stdin is not None:
            zygote.stdin.close()
            try:
                zygote.wait(10)
            except subprocess.TimeoutExpired:
                zygote.kill()
                zygote.wait(10)
