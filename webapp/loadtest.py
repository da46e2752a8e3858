"""A bounded load test of the gallery on 127.0.0.1: `python -m webapp.loadtest --help`.

Starts `python -m webapp` on a free port of 127.0.0.1 with the given checkpoints, waits
until it answers, then lets N clients stream one posting each at the same time (seeds
0..N-1, the gallery's settings) and prints what they got: how many were served, 503s
and other errors, characters per second in total and per client, and the time to the
first character. Every request targets 127.0.0.1, the run ends by itself after one
posting per client (or --timeout), and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
from charlm import POSTING_LENGTH, BatchServer, SampleSettings
from dreamjobs.busy import MAX_BUSY, busy_processes
from dreamjobs.cli import parser

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    status: int = 0
    chars: int = 0
    first: float | None = None  # seconds from the request to the first generated character
    seconds: float = 0.0
    error: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: the server exited with status {proc.returncode} before answering")
        try:
            resp = requests.get(f"{base}/api/checkpoints", timeout=5)
            if resp.ok:
                return resp.json()
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"error: the server did not answer within {timeout:.0f} s")


def client(base: str, body: dict, result: Result, timeout: float) -> None:
    start = time.monotonic()
    try:
        with requests.post(f"{base}/api/generate", json=body, stream=True, timeout=timeout) as resp:
            result.status = resp.status_code
            if resp.status_code != 200:
                return
            event, prime_left = "", len(body["prime"])
            for line in resp.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "chunk":
                    text = json.loads(line[6:])["text"]
                    generated = max(0, len(text) - prime_left)
                    prime_left = max(0, prime_left - len(text))
                    if generated and result.first is None:
                        result.first = time.monotonic() - start
                    result.chars += generated
    except requests.RequestException as exc:
        result.error = type(exc).__name__
    finally:
        result.seconds = time.monotonic() - start


def build_parser() -> argparse.ArgumentParser:
    p = parser("python -m webapp.loadtest", __doc__)
    p.add_argument("--checkpoints", default=str(ROOT / "checkpoints"), help="checkpoints folder to serve")
    p.add_argument("--checkpoint", help="checkpoint id to sample (default: the best of the first run)")
    p.add_argument("--clients", type=int, default=16, help="clients streaming at once (default 16)")
    p.add_argument("--length", type=int, default=POSTING_LENGTH, help="most characters per posting (default %(default)s)")
    p.add_argument("--temperature", type=float, default=SampleSettings.temperature, help="(default %(default)s)")
    p.add_argument("--rows", type=int, default=BatchServer.ROWS, help="the server's --rows (default %(default)s)")
    p.add_argument("--timeout", type=float, default=300, help="seconds before a client gives up (default 300)")
    p.add_argument("--busy", type=int, default=0,
                   help="busy processes spinning beside the server while the clients stream (default 0)")
    p.add_argument("--sampler-threads", type=int, default=None,
                   help="the server's --sampler-threads (default: its own, the pacer's choice)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 1 <= args.length <= 20000 or args.rows < 1 or not args.timeout > 0:
        p.error("--clients must be 1-256, --length 1-20000, --rows at least 1, --timeout positive")
    if not 0 <= args.busy <= MAX_BUSY or (args.sampler_threads is not None and args.sampler_threads < 1):
        p.error(f"--busy must be 0-{MAX_BUSY} and --sampler-threads at least 1")
    if not Path(args.checkpoints).is_dir():
        p.error(f"--checkpoints {args.checkpoints}: no such folder")
    ckpt, results, wall = serve_and_load(args)
    report(args, argv, ckpt, results, wall)
    return 0 if sum(r.status == 200 and not r.error for r in results) == args.clients else 1


def serve_and_load(args: argparse.Namespace) -> tuple[str, list[Result], float]:
    """Start the server, let the clients stream, stop it: (checkpoint id, results, wall seconds)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "webapp", "--host", "127.0.0.1", "--port", str(port),
               "--checkpoints", args.checkpoints, "--database", str(Path(tmp) / "load.sqlite"),
               "--rows", str(args.rows), "--queue", str(args.clients)]
        if args.sampler_threads:
            cmd += ["--sampler-threads", str(args.sampler_threads)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            found = wait_ready(base, proc, timeout=120)
            ckpt = args.checkpoint or next((c["id"] for c in found if c["best"]), None)
            if ckpt is None:
                raise SystemExit(f"error: no checkpoints in {args.checkpoints}")
            body = {"checkpoint": ckpt, "length": args.length, "temperature": args.temperature,
                    "prime": SampleSettings.prime, "stream": True}
            # Load the model before the clock starts: the first request of a cold server pays for it.
            requests.post(f"{base}/api/generate", json={**body, "length": 1, "stream": False}, timeout=120)
            results = [Result() for _ in range(args.clients)]
            threads = [threading.Thread(target=client, args=(base, {**body, "seed": i}, r, args.timeout))
                       for i, r in enumerate(results)]
            with busy_processes(args.busy, limit=args.timeout + 60):
                start = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.monotonic() - start
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return ckpt, results, wall


def report(args: argparse.Namespace, argv: list[str] | None, ckpt: str, results: list[Result], wall: float) -> None:
    served = [r for r in results if r.status == 200 and not r.error]
    per_client = [r.chars / r.seconds for r in served if r.seconds > 0]
    firsts = [r.first for r in served if r.first is not None]
    print(f"# webapp.loadtest, {date.today().isoformat()}, {os.cpu_count()} cores")
    print("command: python -m webapp.loadtest " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(f"checkpoint: {ckpt}; {args.clients} clients, one streamed posting each, length {args.length:,}, "
          f"T {args.temperature}, server --rows {args.rows}, sampler threads {args.sampler_threads or 'auto'}; "
          f"{args.busy} busy processes beside it")
    print(f"served: {len(served)} of {args.clients}; 503: {sum(r.status == 503 for r in results)}; "
          f"5xx other: {sum(r.status >= 500 and r.status != 503 for r in results)}; "
          f"errors: {sum(bool(r.error) for r in results)}")
    if served:
        total = sum(r.chars for r in served)
        print(f"total: {total:,} characters in {wall:.1f} s = {total / wall:,.0f} chars/s")
        print(f"per client: min {min(per_client):,.0f}, median {statistics.median(per_client):,.0f} chars/s")
        if firsts:
            print(f"first character: median {statistics.median(firsts):.2f} s, max {max(firsts):.2f} s")


if __name__ == "__main__":
    sys.exit(main())
