"""The JSON API: everything the pages do, for scripts and tests. Documented in the README."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request, url_for

from . import db
from .checkpoints import get_checkpoints
from .errors import Refused
from .generation import compared_checkpoints, generate_posting, parse_job, parse_settings, stream_response
from .model_pool import get_models
from .sanitize import clean

bp = Blueprint("api", __name__, url_prefix="/api")


def posting_json(row) -> dict:
    return {"id": row["id"], "created": row["created"], "checkpoint": row["checkpoint_id"], "run": row["run"],
            "model": row["family"],  # the model's family and size; badges' "family" is the job's
            "epoch": row["epoch"], "val_loss": row["val_loss"], "temperature": row["temperature"],
            "prime": row["prime"], "length": row["length"], "seed": row["seed"], "title": row["title"],
            "company": row["company"], "location": row["location"], "text": row["text"], "html": clean(row["text"]),
            "badges": db.stored_badges(row), "asked": db.asked(row), "sampling": db.sampling(row),
            "comparison": row["comparison_id"],
            "url": url_for("pages.posting", posting_id=row["id"])}


@bp.get("/checkpoints")
def checkpoints():
    return jsonify([c.public() for c in get_checkpoints().scan()])


@bp.post("/generate")
def generate():
    data = request.get_json(silent=True)
    if data is None:
        raise Refused("the request body must be a JSON object with at least 'checkpoint'")
    job = parse_job(data, get_checkpoints(), current_app.config)
    if data.get("stream"):
        return stream_response(get_models(), job, save=lambda fields: db.insert_posting(**fields),
                               url_for_posting=lambda pid: url_for("pages.posting", posting_id=pid),
                               flush_every=current_app.config["STREAM_FLUSH_SECONDS"])
    posting_id = db.insert_posting(**generate_posting(get_models(), job))
    return jsonify(posting_json(db.get_posting(posting_id))), 201


@bp.post("/comparisons")
def new_comparison():
    """A comparison's checkpoints (two or more) and settings, checked and saved; its columns are then
    generated with {"checkpoint", "comparison"}."""
    data = request.get_json(silent=True)
    settings = parse_settings(data, current_app.config)
    settings["checkpoints"] = compared_checkpoints(data, get_checkpoints())
    comparison_id = db.insert_comparison(settings)
    return jsonify({"id": comparison_id, **settings,
                    "url": url_for("pages.comparison", comparison_id=comparison_id)}), 201


@bp.get("/comparisons/<int:comparison_id>")
def comparison(comparison_id: int):
    row, columns = db.get_comparison(comparison_id)
    return jsonify({"id": row["id"], "created": row["created"], **json.loads(row["settings"]),
                    "columns": [posting_json(c) for c in columns],
                    "url": url_for("pages.comparison", comparison_id=row["id"])})


@bp.get("/postings")
def postings():
    page = db.list_postings(request.args.get("page"), request.args.get("checkpoint") or None)
    return jsonify({"postings": [posting_json(r) for r in page.rows], "page": page.number, "pages": page.pages,
                    "total": page.total})


@bp.get("/postings/<int:posting_id>")
def posting(posting_id: int):
    return jsonify(posting_json(db.get_posting(posting_id)))


@bp.delete("/postings/<int:posting_id>")
def delete(posting_id: int):
    db.delete_posting(posting_id)
    return "", 204
