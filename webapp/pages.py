"""The HTML pages: generate, gallery, a permalink per posting, compare, training, about."""

from __future__ import annotations

import json

from charlm import MAX_FIELD, TEMPERATURE_RANGE, new_seed, read_realism
from dreamjobs.corpus_format import FIELDS, OLD_FIELD_NAMES
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


def url_temperature(raw: str | None) -> tuple[float, str | None]:
    """The temperature a link asks for, as the form will use it, and what to tell the user when that
    is not what the link says (out of range: the nearest end; not a number: the default)."""
    lo, hi = TEMPERATURE_RANGE
    if raw is None or raw == "":
        return DEFAULTS.temperature, None
    try:
        asked = float(raw)
    except ValueError:
        asked = float("nan")
    if asked != asked or asked in (float("inf"), float("-inf")):
        return DEFAULTS.temperature, (f"The temperature in the link, {raw[:20]}, is not a number; "
                                      f"the form uses the default, {DEFAULTS.temperature}.")
    if lo <= asked <= hi:
        return asked, None
    used = min(hi, max(lo, asked))
    return used, f"The temperature in the link, {asked:g}, is outside {lo}-{hi}; the form uses {used:g}."


@bp.get("/")
def generate():
    checkpoints = get_checkpoints().scan()
    temperature, notice = url_temperature(request.args.get("temperature"))
    form = {
        "checkpoint": request.args.get("checkpoint") or default_checkpoint(checkpoints),
        "temperature": f"{temperature:g}",
        "prime": request.args.get("prime", DEFAULTS.prime),
        "length": request.args.get("length", str(current_app.config["DEFAULT_LENGTH"])),
        "seed": request.args.get("seed") or str(new_seed()),
        **{name: request.args.get(name, "") for name in FIELDS + ("top_p", "min_p", "real_words")},
        **{new: request.args[old] for old, new in OLD_FIELD_NAMES.items() if old in request.args and new not in request.args},
    }
    return render_template("generate.html", runs=grouped(checkpoints), form=form, notice=notice, **sampling_form())


@bp.get("/gallery")
def gallery():
    """Postings and comparisons, newest first; filtered by a checkpoint, that checkpoint's postings."""
    checkpoint = request.args.get("checkpoint") or None
    page = db.list_entries(request.args.get("page"), checkpoint)
    # A filter that names no checkpoint of checkpoints/ still shows the postings saved from it (a run since
    # removed); one that names nothing at all says so, with a 404.
    unknown = checkpoint is not None and get_checkpoints().get(checkpoint) is None
    status = 404 if unknown and not page.total else 200
    return render_template("gallery.html", entries=page.rows, page=page.number, pages=page.pages, total=page.total,
                           checkpoint=checkpoint, unknown=unknown, runs=grouped(get_checkpoints().scan())), status


@bp.get("/postings/<int:posting_id>")
def posting(posting_id: int):
    row = db.get_posting(posting_id)
    asked = db.asked(row)
    sampled = {k: ({True: "on", False: "off"}.get(v, v)) for k, v in db.sampling(row).items()}
    again = {"checkpoint": row["checkpoint_id"], "temperature": row["temperature"], **sampled,
             "prime": row["prime"], "length": row["length"], "seed": row["seed"], **asked}
    return render_template("posting.html", p=row, asked=asked, again=url_for("pages.generate", **again))


@bp.get("/postings/<int:posting_id>/render")
def render(posting_id: int):
    """The sanitized posting as a page of its own, for the sandboxed frame."""
    row = db.get_posting(posting_id)
    resp = Response(frame_page(row["text"], row["title"] or "Dream job"), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = FRAME_CSP + "; frame-ancestors 'self'"
    return resp


@bp.post("/<any(postings, comparisons):kind>/<int:entry_id>/delete")
def delete(kind: str, entry_id: int):
    """Delete a posting, or a comparison with its columns; then back to the gallery."""
    (db.delete_posting if kind == "postings" else db.delete_comparison)(entry_id)
    return redirect(url_for("pages.gallery"))


@bp.get("/compare")
def compare():
    runs = grouped(get_checkpoints().scan())
    presets = compare_presets(runs)
    chosen = request.args.getlist("checkpoint") or (presets[0][1] if presets else [])
    return render_template("compare.html", runs=runs, chosen=chosen, presets=presets, seed=new_seed(),
                           **sampling_form())


def compare_presets(runs: dict[str, list[CheckpointInfo]]) -> list[tuple[str, list[str]]]:
    """(name, checkpoint ids) of the comparisons offered, the first preselected: the best of the first
    run beside the best of the first run of another model family, when there is one; and the first
    epoch, one halfway and the best of the first run that has several (the shipped demos have one
    each), as the blog compared early, middle and late epochs."""
    if not runs:
        return []
    presets = []
    first = next((group for group in runs.values() if len(group) > 1), None)
    if first:
        epochs = list(dict.fromkeys([first[0].id, first[len(first) // 2].id, next(c.id for c in first if c.best)]))
        presets.append((f"{first[0].run}'s epochs " + ", ".join(str(c.epoch) for c in first if c.id in epochs), epochs))
    bests = [c for c in (next((c for c in group if c.best), None) for group in runs.values()) if c and c.family_name]
    other = next((c for c in bests[1:] if c.family_name != bests[0].family_name), None) if bests else None
    if other:
        presets.insert(0, (f"best {bests[0].family} beside best {other.family}", [bests[0].id, other.id]))
    return presets


@bp.get("/comparisons/<int:comparison_id>")
def comparison(comparison_id: int):
    row, columns = db.get_comparison(comparison_id)
    return render_template("comparison.html", c=row, settings=json.loads(row["settings"]), columns=columns)


@bp.get("/training")
def training():
    return render_template("training.html", runs=get_checkpoints().runs())


@bp.get("/about")
def about():
    """What the gallery is, what its badges mean, and each model: its family, whether it is loaded,
    and how real its postings read (its run's realism.json)."""
    runs = grouped(get_checkpoints().scan())
    pool = current_app.extensions["models"]
    models = [{"run": run, "family": found[0].family, "best": next((c for c in found if c.best), found[-1]),
               "loaded": [c.label for c in found if pool.loaded(c)], "realism": read_realism(found[0].path.parent)}
              for run, found in runs.items()]
    return render_template("about.html", models=models)
