"""The HTML pages: generate, gallery, a permalink per posting, compare, training."""

from __future__ import annotations

import secrets

from charlm.frame import FIELDS, MAX_FIELD
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from . import db
from .catalog import CheckpointInfo
from .errors import BadInput
from .generation import MAX_SEED, TEMPERATURE_RANGE
from .sanitize import FRAME_CSP, document

bp = Blueprint("pages", __name__)


def grouped(checkpoints: list[CheckpointInfo]) -> dict[str, list[CheckpointInfo]]:
    groups: dict[str, list[CheckpointInfo]] = {}
    for c in checkpoints:
        groups.setdefault(c.run, []).append(c)
    return groups


def default_checkpoint(checkpoints: list[CheckpointInfo]) -> str | None:
    """The best checkpoint of the run listed first (the demo run sorts first when present)."""
    runs = grouped(checkpoints)
    if not runs:
        return None
    first = "demo" if "demo" in runs else next(iter(runs))
    return next(c.id for c in runs[first] if c.best)


@bp.get("/")
def generate():
    checkpoints = current_app.extensions["catalog"].scan()
    form = {
        "checkpoint": request.args.get("checkpoint") or default_checkpoint(checkpoints),
        "temperature": request.args.get("temperature", "0.8"),
        "prime": request.args.get("prime", "<html>"),
        "length": request.args.get("length", str(current_app.config["DEFAULT_LENGTH"])),
        "seed": request.args.get("seed") or str(secrets.randbelow(MAX_SEED)),
        **{name: request.args.get(name, "") for name in FIELDS},
    }
    return render_template("generate.html", runs=grouped(checkpoints), form=form,
                           t_range=TEMPERATURE_RANGE, max_length=current_app.config["MAX_LENGTH"],
                           max_prime=current_app.config["MAX_PRIME"], max_field=MAX_FIELD)


@bp.get("/gallery")
def gallery():
    page = db.page_number(request.args.get("page"))
    checkpoint = request.args.get("checkpoint") or None
    rows, total = db.list_postings(page, checkpoint)
    pages = max(1, -(-total // db.PER_PAGE))
    return render_template("gallery.html", postings=rows, page=page, pages=pages, total=total,
                           checkpoint=checkpoint, runs=grouped(current_app.extensions["catalog"].scan()))


def posting_or_404(posting_id: int):
    row = db.get_posting(posting_id)
    if row is None:
        raise BadInput(f"There is no posting {posting_id}; it may have been deleted.", status=404)
    return row


@bp.get("/postings/<int:posting_id>")
def posting(posting_id: int):
    row = posting_or_404(posting_id)
    again = {"checkpoint": row["checkpoint_id"], "temperature": row["temperature"], "prime": row["prime"],
             "length": row["length"], "seed": row["seed"]}
    return render_template("posting.html", p=row, again=url_for("pages.generate", **again))


@bp.get("/postings/<int:posting_id>/render")
def render(posting_id: int):
    """The sanitized posting as a page of its own, for the sandboxed frame."""
    row = posting_or_404(posting_id)
    resp = Response(document(row["text"], row["title"] or "Dream job"), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = FRAME_CSP + "; frame-ancestors 'self'"
    return resp


@bp.post("/postings/<int:posting_id>/delete")
def delete(posting_id: int):
    posting_or_404(posting_id)
    db.delete_posting(posting_id)
    return redirect(url_for("pages.gallery"))


@bp.get("/compare")
def compare():
    checkpoints = current_app.extensions["catalog"].scan()
    runs = grouped(checkpoints)
    # Preselect the first epoch, one halfway and the best of the first run, as the blog
    # compared early, middle and late epochs (on the demo: epochs 1, 19 and 47).
    chosen = request.args.getlist("checkpoint")
    if not chosen and runs:
        first = runs["demo"] if "demo" in runs else next(iter(runs.values()))
        chosen = list(dict.fromkeys([first[0].id, first[len(first) // 2].id, next(c.id for c in first if c.best)]))
    return render_template("compare.html", runs=runs, chosen=chosen, seed=secrets.randbelow(MAX_SEED),
                           t_range=TEMPERATURE_RANGE, default_length=current_app.config["DEFAULT_LENGTH"],
                           max_length=current_app.config["MAX_LENGTH"])


@bp.get("/training")
def training():
    return render_template("training.html", runs=current_app.extensions["catalog"].runs())
