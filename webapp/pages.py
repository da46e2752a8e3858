"""The HTML pages: generate, gallery, a permalink per posting, compare, training."""

from __future__ import annotations

from charlm import MAX_FIELD, TEMPERATURE_RANGE, new_seed
from common.corpus_format import FIELDS
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from . import db
from .checkpoints import CheckpointInfo, get_checkpoints
from .generation import DEFAULTS
from .sanitize import FRAME_CSP, frame_page

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


def sampling_form() -> dict:
    """What the generate and compare forms share: the ranges and the defaults."""
    return {"t_range": TEMPERATURE_RANGE, "max_length": current_app.config["MAX_LENGTH"],
            "max_prime": current_app.config["MAX_PRIME"], "max_field": MAX_FIELD, "defaults": DEFAULTS,
            "default_length": current_app.config["DEFAULT_LENGTH"]}


@bp.get("/")
def generate():
    checkpoints = get_checkpoints().scan()
    form = {
        "checkpoint": request.args.get("checkpoint") or default_checkpoint(checkpoints),
        "temperature": request.args.get("temperature", str(DEFAULTS.temperature)),
        "prime": request.args.get("prime", DEFAULTS.prime),
        "length": request.args.get("length", str(current_app.config["DEFAULT_LENGTH"])),
        "seed": request.args.get("seed") or str(new_seed()),
        **{name: request.args.get(name, "") for name in FIELDS},
    }
    return render_template("generate.html", runs=grouped(checkpoints), form=form, **sampling_form())


@bp.get("/gallery")
def gallery():
    checkpoint = request.args.get("checkpoint") or None
    page = db.list_postings(request.args.get("page"), checkpoint)
    return render_template("gallery.html", postings=page.rows, page=page.number, pages=page.pages, total=page.total,
                           checkpoint=checkpoint, runs=grouped(get_checkpoints().scan()))


@bp.get("/postings/<int:posting_id>")
def posting(posting_id: int):
    row = db.get_posting(posting_id)
    again = {"checkpoint": row["checkpoint_id"], "temperature": row["temperature"], "prime": row["prime"],
             "length": row["length"], "seed": row["seed"]}
    return render_template("posting.html", p=row, again=url_for("pages.generate", **again))


@bp.get("/postings/<int:posting_id>/render")
def render(posting_id: int):
    """The sanitized posting as a page of its own, for the sandboxed frame."""
    row = db.get_posting(posting_id)
    resp = Response(frame_page(row["text"], row["title"] or "Dream job"), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = FRAME_CSP + "; frame-ancestors 'self'"
    return resp


@bp.post("/postings/<int:posting_id>/delete")
def delete(posting_id: int):
    db.delete_posting(posting_id)
    return redirect(url_for("pages.gallery"))


@bp.get("/compare")
def compare():
    runs = grouped(get_checkpoints().scan())
    # Preselect the first epoch, one halfway and the best of the first run, as the blog
    # compared early, middle and late epochs (on the demo: epochs 1, 19 and 47).
    chosen = request.args.getlist("checkpoint")
    if not chosen and runs:
        first = runs["demo"] if "demo" in runs else next(iter(runs.values()))
        chosen = list(dict.fromkeys([first[0].id, first[len(first) // 2].id, next(c.id for c in first if c.best)]))
    return render_template("compare.html", runs=runs, chosen=chosen, seed=new_seed(),
                           **sampling_form())


@bp.get("/training")
def training():
    return render_template("training.html", runs=get_checkpoints().runs())
