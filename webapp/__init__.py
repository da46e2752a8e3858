"""webapp: the dream-job gallery. `python -m webapp`, then http://127.0.0.1:5000

A Flask application factory; one blueprint for the pages and one for the JSON API;
the gallery lives in SQLite in the instance folder. Generation goes through charlm's
public sampling API only.
"""

from __future__ import annotations

import os
from pathlib import Path

from charlm import POSTING_LENGTH, BatchServer
from flask import Flask
from jobclass import DEFAULT_PATH as CLASSIFIER

from . import api, db, errors, pages
from .chart import loss_chart, runs_chart
from .checkpoints import CheckpointIndex
from .model_pool import MEMORY_MB, MODELS, ModelPool
from .sanitize import FRAME_CSS

ROOT = Path(__file__).resolve().parent.parent
# Run from a clone, the gallery keeps its database in instance/ and serves checkpoints/ beside
# the code; installed (site-packages), in a per-user data folder and the working directory's checkpoints/.
SOURCE_TREE = (ROOT / "pyproject.toml").is_file()


def data_home() -> Path:
    """Where an installed gallery keeps its database: $DREAMJOBS_DATA, else $XDG_DATA_HOME/dreamjobs
    (~/.local/share/dreamjobs)."""
    if os.environ.get("DREAMJOBS_DATA"):
        return Path(os.environ["DREAMJOBS_DATA"])
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "dreamjobs"


def project_home() -> Path:
    """The folder checkpoints/ is found in: the clone, or the working directory of an installed gallery."""
    return ROOT if SOURCE_TREE else Path.cwd()

# The pages load only our own script and style; generated postings live in sandboxed frames.
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance" if SOURCE_TREE else data_home()))
    app.config.from_mapping(
        CHECKPOINTS=str(project_home() / "checkpoints"),
        CLASSIFIER=str(project_home() / CLASSIFIER),  # labels and agreement badges
        DATABASE=os.path.join(app.instance_path, "gallery.sqlite"),
        BATCH_ROWS=BatchServer.ROWS,  # postings one model samples at once, in one batched step
        QUEUE_SIZE=BatchServer.QUEUE,  # requests that wait for a row; beyond that, 503
        MODELS=MODELS,  # models kept loaded at most (least recently used out)
        MODEL_MEMORY_MB=MEMORY_MB,  # and at most this much of their weights and rows' state
        PRECISION=None,  # the CPU sampler's weights: charlm's default (fp16 or int8 as it says), or fp32
        SAMPLER_THREADS=None,  # threads of a sampling step: None lets charlm's pacer choose, up to the usable cores
        DEFAULT_LENGTH=POSTING_LENGTH,
        MAX_LENGTH=20000,
        MAX_PRIME=500,
        MAX_CONTENT_LENGTH=64 * 1024,
        STREAM_FLUSH_SECONDS=0.05,  # how often streamed text is sent to the browser
    )
    if config:
        app.config.update(config)
    db.init_db(app)
    app.extensions["checkpoints"] = CheckpointIndex(app.config["CHECKPOINTS"])
    app.extensions["models"] = ModelPool(models=app.config["MODELS"], memory_mb=app.config["MODEL_MEMORY_MB"],
                                         rows=app.config["BATCH_ROWS"], queue_size=app.config["QUEUE_SIZE"],
                                         precision=app.config["PRECISION"], threads=app.config["SAMPLER_THREADS"],
                                         flush_seconds=app.config["STREAM_FLUSH_SECONDS"])
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    app.jinja_env.globals.update(loss_chart=loss_chart, runs_chart=runs_chart, frame_css=FRAME_CSS, posting_badges=db.stored_badges,
                                 loaded=app.extensions["models"].loaded)

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", APP_CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    return app
