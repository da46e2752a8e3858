"""The JSON API: everything the pages do, for scripts and tests. Documented in the README."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from . import db
from .errors import BadInput
from .generation import parse_job, record, server_for, stream, submit
from .sanitize import clean

bp = Blueprint("api", __name__, url_prefix="/api")


def posting_json(row) -> dict:
    return {"id": row["id"], "created": row["created"], "checkpoint": row["checkpoint_id"], "run": row["run"],
            "epoch": row["epoch"], "val_loss": row["val_loss"], "temperature": row["temperature"],
            "prime": row["prime"], "length": row["length"], "seed": row["seed"], "title": row["title"],
            "company": row["company"], "location": row["location"], "text": row["text"], "html": clean(row["text"]),
            "url": url_for("pages.posting", posting_id=row["id"])}


@bp.get("/checkpoints")
def checkpoints():
    return jsonify([c.public() for c in current_app.extensions["catalog"].scan()])


@bp.post("/generate")
def generate():
    data = request.get_json(silent=True)
    if data is None:
        raise BadInput("the request body must be a JSON object with at least 'checkpoint'")
    job = parse_job(data, current_app.extensions["catalog"], current_app.config)
    posting = submit(server_for(current_app.extensions["catalog"], job), job)
    if data.get("stream"):
        events = stream(posting, job, save=lambda text: db.insert_posting(**record(job, text)),
                        url_for_posting=lambda pid: url_for("pages.posting", posting_id=pid),
                        flush_every=current_app.config["STREAM_FLUSH_SECONDS"])
        resp = Response(stream_with_context(events), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        # Closing the response frees the row even when the client left before the first
        # event: a generator closed before it starts never runs its own cleanup.
        resp.call_on_close(posting.close)
        return resp
    with posting:
        text = posting.text()
    posting_id = db.insert_posting(**record(job, text))
    return jsonify(posting_json(db.get_posting(posting_id))), 201


@bp.get("/postings")
def postings():
    page = db.page_number(request.args.get("page"))
    rows, total = db.list_postings(page, request.args.get("checkpoint") or None)
    pages = max(1, -(-total // db.PER_PAGE))
    return jsonify({"postings": [posting_json(r) for r in rows], "page": page, "pages": pages, "total": total})


@bp.get("/postings/<int:posting_id>")
def posting(posting_id: int):
    row = db.get_posting(posting_id)
    if row is None:
        raise BadInput(f"no posting {posting_id}", status=404)
    return jsonify(posting_json(row))


@bp.delete("/postings/<int:posting_id>")
def delete(posting_id: int):
    if not db.delete_posting(posting_id):
        raise BadInput(f"no posting {posting_id}", status=404)
    return "", 204
