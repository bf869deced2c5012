"""Faults leave nothing behind: a killed build no process, an interrupted one no
temporary file and no mixed edition, a broken or unwritable cache no failed build."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINI, ROOT


def session(sid: int) -> dict[int, str]:
    """The live processes of a session (pid -> command), from /proc; zombies are dead."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(entry.name)] = cmd
    return found


def test_kill_9_of_the_build_takes_every_process_of_it_along(tmp_path):
    main = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--content", str(MINI), "--output",
         str(tmp_path / "out"), "--no-cache", "--no-handouts"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        for line in main.stdout:                 # mid-build: the workers typesetting
            if "typesetting" in line:
                break
        before = session(main.pid)
        # the main process, the fork server, its workers and the resource tracker
        assert len(before) >= 4, before
        os.kill(main.pid, signal.SIGKILL)
        main.wait()
        deadline = time.monotonic() + 5
        while session(main.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session(main.pid) == {}
    finally:
        for pid in session(main.pid):
            os.kill(pid, signal.SIGKILL)
