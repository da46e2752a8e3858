"""`python -m webapp [--host 127.0.0.1] [--port 5000] [--checkpoints checkpoints/]`

Serves through waitress, a production WSGI server that streams each server-sent event
as it is written, on Linux, macOS and Windows alike; `--dev` runs Werkzeug's reloading
development server instead, for work on the app itself. Every streamed posting holds
one of waitress's threads until it ends, so there are enough threads for every row and
every queued request by default.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3
import sys
import threading
from pathlib import Path

from dreamjobs.cli import os_error_message, run_cli
from waitress.server import create_server

from charlm import DEFAULT_PRECISION, PRECISIONS, BatchServer, native_threads

from . import create_app
from .badges import corpus_facts, get_classifier
from .checkpoints import get_checkpoints
from .model_pool import MEMORY_MB, MODELS, get_models
from .pages import default_checkpoint


def warm(app, checkpoint_id: str | None) -> None:
    """Load the checkpoint the generate page offers first (its weights, its kernel and its
    corpus's copy index) and what its postings' badges need (the corpus's exact-copy index,
    the job classifier) while the server starts: several seconds the first request would wait."""
    def load():
        try:
            with app.app_context():
                info = get_checkpoints().get(checkpoint_id)
                corpus_facts(get_models().server(info).generator.corpus)
                get_classifier()
        except Exception:  # noqa: BLE001 - a damaged checkpoint is reported when it is asked for
            pass

    if checkpoint_id:
        threading.Thread(target=load, name="warm-up", daemon=True).start()


def app_database(config: dict) -> str:
    return config.get("DATABASE") or "instance/gallery.sqlite"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m webapp", description="Serve the dream-job gallery.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    p.add_argument("--checkpoints", default=None, help="folder of training runs (default: the project's checkpoints/)")
    p.add_argument("--rows", type=int, default=BatchServer.ROWS,
                   help="postings one model samples at once, in one batched step (default %(default)s)")
    p.add_argument("--queue", type=int, default=BatchServer.QUEUE,
                   help="requests that wait for a free row; beyond rows + queue, 503 (default %(default)s)")
    p.add_argument("--models", type=int, default=MODELS,
                   help="models kept loaded at most; the least recently used idle one goes first (default %(default)s)")
    p.add_argument("--model-memory", type=float, default=MEMORY_MB, metavar="MB",
                   help="megabytes of loaded models' weights and rows' state at most (default %(default)s)")
    p.add_argument("--precision", choices=list(PRECISIONS), default=None,
                   help=f"weights of the CPU sampler (default {DEFAULT_PRECISION}); fp32 is the model as trained")
    p.add_argument("--sampler-threads", type=int, default=None,
                   help="threads of each sampling step (default: as many of the cores this process may use as "
                        "are fastest at the moment; fewer when the machine is busy)")
    p.add_argument("--database", default=None, help="gallery SQLite file (default: instance/gallery.sqlite)")
    p.add_argument("--threads", type=int, default=None,
                   help="server threads (default rows + queue + 8: each streamed posting holds one while it is written)")
    p.add_argument("--timeout", type=int, default=120,
                   help="seconds a connection may stay silent before the server closes it (default 120)")
    p.add_argument("--dev", action="store_true",
                   help="Werkzeug's reloading development server instead of waitress (for work on the app)")
    return p


def app_from(p: argparse.ArgumentParser, args: argparse.Namespace):
    """The app the options describe; a clear error for a bad folder or database."""
    config = {"BATCH_ROWS": args.rows, "QUEUE_SIZE": args.queue, "PRECISION": args.precision,
              "SAMPLER_THREADS": args.sampler_threads, "MODELS": args.models, "MODEL_MEMORY_MB": args.model_memory}
    if args.checkpoints:
        if not Path(args.checkpoints).is_dir():
            p.error(f"--checkpoints {args.checkpoints}: no such folder")
        config["CHECKPOINTS"] = str(Path(args.checkpoints).resolve())
    if args.database:
        config["DATABASE"] = str(Path(args.database).resolve())
    try:
        return create_app(config)
    except (OSError, sqlite3.DatabaseError) as exc:
        why = os_error_message(exc) if isinstance(exc, OSError) else f"{exc} (not an SQLite file)"
        p.error(f"--database {app_database(config)}: {why}")


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if not 0 < args.port < 65536 or args.rows < 1 or args.queue < 0:
        p.error("--port must be 1-65535, --rows at least 1 and --queue at least 0")
    threads = args.threads if args.threads is not None else args.rows + args.queue + 8
    if threads < 1 or args.timeout < 1:
        p.error("--threads and --timeout must be at least 1")
    if args.sampler_threads is not None and not 1 <= args.sampler_threads <= 1024:
        p.error("--sampler-threads must be 1-1024")
    if args.models < 1 or not 0 < args.model_memory < float("inf"):
        p.error("--models must be at least 1 and --model-memory a positive number of megabytes")
    app = app_from(p, args)
    with app.app_context():
        found = get_checkpoints().scan()
    try:
        # Bound before the banner: a taken port is the one line the user sees, not a banner and then an error.
        server = None if args.dev else create_server(app, host=args.host, port=args.port, threads=threads,
                                                     channel_timeout=args.timeout, ident="dreamjobs (waitress)")
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}"
              + (" (another server has it; choose another with --port, or `make demo PORT=...`)"
                 if exc.errno == errno.EADDRINUSE else ""), file=sys.stderr)
        return 2
    banner(app, args, threads, found)
    if found:
        warm(app, default_checkpoint(found))
    return serve(app, args, server)


def banner(app, args: argparse.Namespace, threads: int, found: list) -> None:
    how = "development server, reloading" if args.dev else f"waitress, {threads} threads"
    sampler = (f"{args.sampler_threads} fixed" if args.sampler_threads else
               f"up to {native_threads()}, as many as are fastest (the cores this process may use)")
    print(f"dream-job gallery: http://{args.host}:{args.port}/  ({how}; {len(found)} checkpoints in "
          f"{app.config['CHECKPOINTS']}; gallery database {app.config['DATABASE']})", file=sys.stderr)
    print(f"sampling: {args.rows} rows a model, {args.queue} queued, sampler threads {sampler}; at most "
          f"{args.models} models loaded and {args.model_memory:g} MB of their weights and state", file=sys.stderr)
    if not found:
        print("no checkpoints yet: train one with `python -m charlm.train` (see README)", file=sys.stderr)


def serve(app, args: argparse.Namespace, server) -> int:
    """Until Ctrl-C: waitress (bound already), or Werkzeug's server with --dev."""
    try:
        if args.dev:
            app.run(host=args.host, port=args.port, threaded=True, debug=True, use_reloader=True)
        else:
            server.run()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    run_cli(main)
