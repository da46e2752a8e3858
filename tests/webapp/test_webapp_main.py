"""`python -m webapp` as a user starts it."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from charlm.sampling import native

from conftest import ROOT, run_module, run_modules


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    base: str
    stderr: str = ""


@contextmanager
def gallery(checkpoints, tmp_path, *extra):
    """`python -m webapp` on a free port until the block ends; its stderr is read once it stopped."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "webapp", "--port", str(port), "--checkpoints", str(checkpoints),
                             "--database", str(tmp_path / "g.sqlite"), *extra], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stderr=subprocess.PIPE, text=True)
    server = Server()
    server.base = base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                requests.get(f"{base}/api/checkpoints", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        server.stderr = proc.stderr.read()


def test_the_server_starts_serves_and_stops(checkpoints_dir, tmp_path):
    with gallery(checkpoints_dir, tmp_path) as server:
        found = requests.get(f"{server.base}/api/checkpoints", timeout=30).json()
        assert [c["run"] for c in found] == ["tiny"] * 3
        assert (tmp_path / "g.sqlite").exists()
    assert f"{server.base}/" in server.stderr and "waitress, 40 threads" in server.stderr
    usable = native.threads()  # the cores this process may use, or fewer where $OMP_NUM_THREADS says so
    assert f"sampling: 16 rows a model, 16 queued, sampler threads up to {usable}," in server.stderr


def test_the_production_server_streams_each_event_as_it_is_written(tmp_path):
    # The demo's 3x512 model writes about 5,000 characters a second here: a 3,000-character
    # posting takes over half a second, long enough to tell streaming from buffering.
    with gallery(ROOT / "checkpoints", tmp_path, "--threads", "4") as server:
        base = server.base
        best = next(c["id"] for c in requests.get(f"{base}/api/checkpoints", timeout=30).json()
                    if c["run"] == "demo" and c["best"])
        start = time.monotonic()
        arrived = {}
        with requests.post(f"{base}/api/generate", json={"checkpoint": best, "length": 3000, "seed": 5,
                                                         "stream": True}, stream=True, timeout=300) as resp:
            assert resp.headers["Server"].startswith("dreamjobs (waitress)")
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            chunks = 0
            for line in resp.iter_lines():
                if line.startswith(b"event: "):
                    event = line[7:].decode()
                    arrived.setdefault(event, time.monotonic() - start)
                    chunks += event == "chunk"
        # A buffering server would deliver meta, every chunk and done together at the end.
        assert chunks >= 5 and arrived["done"] - arrived["meta"] > 0.3, arrived
        assert arrived["chunk"] < arrived["done"] - 0.2


def test_bad_options_are_refused(tmp_path):
    cases = [(["--checkpoints", str(tmp_path / "missing")], "no such folder"),
             (["--port", "0"], "--port must be"),
             (["--rows", "0"], "--rows at least 1"),
             (["--sampler-threads", "0"], "--sampler-threads must be 1-1024"),
             (["--precision", "fp64"], "invalid choice: 'fp64'")]
    for (args, message), proc in zip(cases, run_modules([("webapp", args) for args, _ in cases])):
        assert proc.returncode == 2 and message in proc.stderr, args


def test_a_database_that_cannot_be_opened_is_one_clear_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = run_module("webapp", "--database", str(tmp_path / "afile" / "g.sqlite"))
    assert proc.returncode == 2 and "a file stands where a folder must be" in proc.stderr
    (tmp_path / "notes.txt").write_text("not a database, " * 200)
    proc = run_module("webapp", "--database", str(tmp_path / "notes.txt"))
    assert proc.returncode == 2 and "not an SQLite file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_taken_port_is_one_line_and_no_banner(checkpoints_dir, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_module("webapp", "--port", str(port), "--checkpoints", str(checkpoints_dir),
                          "--database", str(tmp_path / "g.sqlite"))
    assert proc.returncode == 2 and "cannot listen on 127.0.0.1" in proc.stderr and "--port" in proc.stderr
    assert "dream-job gallery:" not in proc.stderr
