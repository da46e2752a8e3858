"""Turning a request into a posting: validation, the shared sampling loop, and streaming.

Every loaded model has one charlm.BatchServer: each request becomes a row of its
batch (BATCH_ROWS rows, then a queue of QUEUE_SIZE places); a request beyond both is
answered 503 with Retry-After at once. This module owns a request's row from the
moment it is taken to the moment it is given back: a streamed generation gives it back
when its response closes, which WSGI servers do whether or not the first event was
sent, so a client that goes away frees its row at the next step.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from charlm import (MAX_SEED, TEMPERATURE_RANGE, BatchServer, CharLMError, SampleSettings, ServerBusy, check_fields,
                    check_truncation, new_seed)
from dreamjobs.corpus_format import FIELDS, OLD_FIELD_NAMES, posting_fields
from flask import Response, get_template_attribute, stream_with_context

from . import db
from .badges import compute_badges, get_classifier
from .checkpoints import CheckpointIndex, CheckpointInfo
from .errors import Refused, TryLater
from .model_pool import ModelPool
from .sanitize import clean

DEFAULTS = SampleSettings()  # the temperature and prime a request gets when it names none


@dataclass(frozen=True)
class Job:
    checkpoint: CheckpointInfo
    temperature: float | None  # None: the model family's default, as are top_p, min_p and real_words
    prime: str
    length: int
    seed: int
    fields: tuple[tuple[str, str], ...] = ()  # (name, value) of the frame fields asked for
    comparison: int | None = None  # the comparison this posting is a column of
    top_p: float | None = None
    min_p: float | None = None
    real_words: bool | None = None

    def settings(self, generator) -> SampleSettings:
        """The settings of this job for the model that samples it: what it names, and that model's defaults."""
        return generator.settings(prime=self.prime, temperature=self.temperature, max_length=self.length,
                                  seed=self.seed, top_p=self.top_p, min_p=self.min_p, real_words=self.real_words,
                                  **dict(self.fields))


def _number(data: Mapping, key: str, kind, default):
    raw = data.get(key, default)
    if raw is None or raw == "":
        return default
    what = "a whole number" if kind is int else "a number"
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise Refused(f"{key} must be {what}")
    if kind is int and isinstance(raw, float):
        if not raw.is_integer():  # 1.5 is no seed or length; 2.0 is 2
            raise Refused(f"{key} must be a whole number, got {raw!r}")
        raw = int(raw)
    try:
        value = kind(raw)
    except (ValueError, OverflowError):  # "²", "1.5" as an int; 10**400 as a float
        raise Refused(f"{key} must be {what}, got {str(raw)[:20]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused(f"{key} must be a finite number")
    return value


def parse_job(data: Mapping, checkpoints: CheckpointIndex, config: Mapping) -> Job:
    """Check every field of a generation request that needs no model; raises Refused with the reason.

    A column of a comparison ("comparison": its id) takes the comparison's settings. What needs
    the model (the prime's and fields' characters against its vocabulary) is checked once, when
    the posting is submitted to it."""
    if not isinstance(data, Mapping):
        raise Refused("the request body must be a JSON object")
    checkpoint_id = data.get("checkpoint")
    if not checkpoint_id or not isinstance(checkpoint_id, str):
        raise Refused("choose a checkpoint (field 'checkpoint': an id from /api/checkpoints)")
    info = checkpoints.get(checkpoint_id)
    if info is None:
        raise Refused(f"unknown checkpoint {checkpoint_id!r}; see /api/checkpoints", status=404)
    comparison = _number(data, "comparison", int, None)
    if comparison is not None:
        data = db.comparison_settings(comparison)
        if data.get("checkpoints") and checkpoint_id not in data["checkpoints"]:
            raise Refused(f"checkpoint {checkpoint_id!r} is not one of comparison {comparison}'s")
    s = parse_settings(data, config)
    return Job(info, s["temperature"], s["prime"], s["length"], s["seed"], tuple(s["asked"].items()), comparison,
               s["top_p"], s["min_p"], s["real_words"])


def compared_checkpoints(data: Mapping, checkpoints: CheckpointIndex) -> list[str]:
    """A comparison's checkpoints: two or more distinct ids that the index knows."""
    ids = data.get("checkpoints") if isinstance(data, Mapping) else None
    if not isinstance(ids, list) or len(set(map(str, ids))) < 2 or not all(isinstance(i, str) for i in ids):
        raise Refused("a comparison needs at least two different checkpoints "
                      "(field 'checkpoints': a list of ids from /api/checkpoints)")
    unknown = [i for i in ids if checkpoints.get(i) is None]
    if unknown:
        raise Refused(f"unknown checkpoint {unknown[0]!r}; see /api/checkpoints", status=404)
    return list(dict.fromkeys(ids))


def parse_settings(data: Mapping, config: Mapping) -> dict:
    """The sampling settings of a request, checked: temperature, prime, length, seed (drawn when none
    is given) and the fields asked for; as a comparison stores them."""
    if not isinstance(data, Mapping):
        raise Refused("the request body must be a JSON object")
    temperature = _number(data, "temperature", float, None)
    lo, hi = TEMPERATURE_RANGE
    if temperature is not None and not lo <= temperature <= hi:
        raise Refused(f"temperature must be between {lo} and {hi}, got {temperature}")
    top_p, min_p = _number(data, "top_p", float, None), _number(data, "min_p", float, None)
    problem = check_truncation(top_p, min_p)
    if problem:
        raise Refused(problem)
    real_words = _switch(data, "real_words")
    length = _number(data, "length", int, config["DEFAULT_LENGTH"])
    if not 1 <= length <= config["MAX_LENGTH"]:
        raise Refused(f"length must be between 1 and {config['MAX_LENGTH']} characters, got {length}")
    seed = _number(data, "seed", int, None)
    if seed is None:
        seed = new_seed()
    if not 0 <= seed <= MAX_SEED:
        raise Refused(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    prime = data.get("prime")
    if prime is None or prime == "":
        prime = DEFAULTS.prime
    if not isinstance(prime, str):
        raise Refused("prime must be text")
    if len(prime) > config["MAX_PRIME"]:
        raise Refused(f"prime must be at most {config['MAX_PRIME']} characters, got {len(prime)}")
    for old, new in OLD_FIELD_NAMES.items():  # a request in the older words still works
        if old in data and new not in data:
            data = {**data, new: data[old]}
    asked = {name: data[name] for name in FIELDS if data.get(name) not in (None, "")}
    try:
        check_fields(asked)
    except CharLMError as exc:
        raise Refused(str(exc)) from None
    return {"temperature": temperature, "prime": prime, "length": length, "seed": seed, "asked": asked,
            "top_p": top_p, "min_p": min_p, "real_words": real_words}


SWITCH = {True: True, False: False, "true": True, "false": False, "on": True, "off": False, "1": True, "0": False}


def _switch(data: Mapping, key: str) -> bool | None:
    """An on/off field: JSON true or false, or a form's "on"/"off" (also "true"/"false", "1"/"0"); None when absent."""
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    said = raw.lower() if isinstance(raw, str) else raw
    if isinstance(raw, (bool, str)) and said in SWITCH:
        return SWITCH[said]
    raise Refused(f"{key} must be true or false (on or off), got {str(raw)[:20]!r}")


def _submit(models: ModelPool, job: Job):
    """Take a row of the job's model: 422 for a checkpoint that cannot load, 400 for settings
    the model cannot take, 503 when its rows and queue are full."""
    try:
        server: BatchServer = models.server(job.checkpoint)
    except CharLMError as exc:
        raise Refused(f"checkpoint {job.checkpoint.id} cannot be loaded: {exc}", status=422) from None
    try:
        return server.submit(job.settings(server.generator))
    except ServerBusy as exc:
        raise TryLater(f"the model is busy ({exc}); try again in a few seconds") from None
    except CharLMError as exc:
        raise Refused(str(exc)) from None


def generate_posting(models: ModelPool, job: Job) -> dict:
    """The whole posting, written while the request waits, as the database fields of record()."""
    with _submit(models, job) as posting:
        return record(job, posting.text(), posting)


def record(job: Job, text: str, posting) -> dict:
    """The database fields of a finished posting, its badges included (computed once, here, against
    the corpus the posting's model learned from), with the settings it was sampled with."""
    title, company, location = posting_fields(text)
    c = job.checkpoint
    generator, used = posting.server.generator, posting.settings
    quality = compute_badges(text, generator.corpus, get_classifier())
    sampling = {"top_p": used.top_p, "min_p": used.min_p,
                "real_words": used.real_words and generator.vocab_tables.known_words}
    return dict(checkpoint_id=c.id, run=c.run, epoch=c.epoch, val_loss=c.val_loss, temperature=used.temperature,
                sampling=json.dumps(sampling),
                prime=job.prime, length=job.length, seed=job.seed, text=text,
                title=title, company=company, location=location, badges=json.dumps(quality),
                asked=json.dumps(dict(job.fields)), comparison_id=job.comparison, family=c.family or None)


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream_response(models: ModelPool, job: Job, save: Callable[[dict], int],
                    url_for_posting: Callable[[int], str], flush_every: float = 0.05) -> Response:
    """The posting as server-sent events; the row is taken now, so a full model answers 503
    before any event, and given back when the response closes."""
    posting = _submit(models, job)
    resp = Response(stream_with_context(_events(posting, job, save, url_for_posting, flush_every)),
                    mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    # A generator closed before it starts never runs its own cleanup; the response's close always runs.
    resp.call_on_close(posting.close)
    return resp


def _events(posting, job: Job, save: Callable[[dict], int], url_for_posting: Callable[[int], str],
            flush_every: float, preview_every: float = 0.5) -> Iterator[str]:
    """meta, chunk {text[, html]}..., then done {id, url, html}."""
    with posting:
        used = posting.settings
        yield sse("meta", {"seed": job.seed, "checkpoint": job.checkpoint.id, "temperature": used.temperature,
                           "top_p": used.top_p, "min_p": used.min_p, "real_words": used.real_words,
                           "word_shares": posting.server.generator.shares_on(used),
                           "guards_off": posting.server.generator.guards_off()})
        parts, pending = [], []
        # The first chunk carries a preview at once: the page shows the posting from its first words.
        last_flush, last_preview = time.monotonic(), float("-inf")
        for piece in posting:
            parts.append(piece)
            pending.append(piece)
            now = time.monotonic()
            if now - last_flush >= flush_every:
                event = {"text": "".join(pending)}
                if now - last_preview >= preview_every:
                    event["html"] = clean("".join(parts))
                    last_preview = now
                yield sse("chunk", event)
                pending, last_flush = [], now
    if pending:  # a posting written within one flush still comes with its preview
        yield sse("chunk", {"text": "".join(pending), **({"html": clean("".join(parts))} if last_preview < 0 else {})})
    text = "".join(parts)
    fields = record(job, text, posting)
    posting_id = save(fields)
    shown = get_template_attribute("macros.html", "badges")(json.loads(fields["badges"]))
    yield sse("done", {"id": posting_id, "url": url_for_posting(posting_id), "html": clean(text), "badges": str(shown)})
