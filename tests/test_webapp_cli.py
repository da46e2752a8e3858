"""`python -m webapp` as a user starts it."""

import os
import socket
import subprocess
import sys
import time

import requests

from conftest import ROOT, run_module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_server_starts_serves_and_stops(checkpoints_dir, tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "webapp", "--port", str(port), "--checkpoints", str(checkpoints_dir),
                             "--database", str(tmp_path / "g.sqlite")], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                found = requests.get(f"http://127.0.0.1:{port}/api/checkpoints", timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert [c["run"] for c in found] == ["tiny"] * 3
        assert (tmp_path / "g.sqlite").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert f"http://127.0.0.1:{port}/" in proc.stderr.read()


def test_bad_options_are_refused(tmp_path):
    proc = run_module("webapp", "--checkpoints", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr
    proc = run_module("webapp", "--port", "0")
    assert proc.returncode == 2 and "--port must be" in proc.stderr
    proc = run_module("webapp", "--rows", "0")
    assert proc.returncode == 2 and "--rows at least 1" in proc.stderr
    proc = run_module("webapp", "--precision", "fp64")
    assert proc.returncode == 2 and "invalid choice: 'fp64'" in proc.stderr


def test_a_database_that_cannot_be_opened_is_one_clear_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = run_module("webapp", "--database", str(tmp_path / "afile" / "g.sqlite"))
    assert proc.returncode == 2 and "a file stands where a folder must be" in proc.stderr
    (tmp_path / "notes.txt").write_text("not a database, " * 200)
    proc = run_module("webapp", "--database", str(tmp_path / "notes.txt"))
    assert proc.returncode == 2 and "not an SQLite file" in proc.stderr and "Traceback" not in proc.stderr
