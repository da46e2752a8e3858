"""Turning a request into a posting: validation, the shared sampling loop, and streaming.

Every loaded model has one charlm.BatchServer: each request becomes a row of its
batch (BATCH_ROWS rows, then a queue of QUEUE_SIZE places); a request beyond both is
answered 503 with Retry-After at once. A streamed generation stops as soon as its
client goes away: the server's next write fails, the response generator is closed,
and its row is freed at the next step.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from charlm import BatchServer, CharLMError, SampleSettings, ServerBusy, frame
from charlm.frame import FIELDS, MAX_FIELD

from .catalog import Catalog, CheckpointInfo
from .errors import BadInput, Busy
from .sanitize import clean

TEMPERATURE_RANGE = (0.1, 2.0)
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Job:
    checkpoint: CheckpointInfo
    temperature: float
    prime: str
    length: int
    seed: int
    fields: tuple[tuple[str, str], ...] = ()  # (name, value) of the frame fields asked for

    def settings(self) -> SampleSettings:
        return SampleSettings(prime=self.prime, temperature=self.temperature, max_length=self.length, seed=self.seed,
                              **dict(self.fields))


def _number(data: Mapping, key: str, kind, default):
    raw = data.get(key, default)
    if raw is None or raw == "":
        return default
    what = "a whole number" if kind is int else "a number"
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise BadInput(f"{key} must be {what}")
    if kind is int and isinstance(raw, float):
        if not raw.is_integer():  # 1.5 is no seed or length; 2.0 is 2
            raise BadInput(f"{key} must be a whole number, got {raw!r}")
        raw = int(raw)
    try:
        value = kind(raw)
    except (ValueError, OverflowError):  # "²", "1.5" as an int; 10**400 as a float
        raise BadInput(f"{key} must be {what}, got {str(raw)[:20]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInput(f"{key} must be a finite number")
    return value


def parse_job(data: Mapping, catalog: Catalog, config: Mapping) -> Job:
    """Check every field of a generation request; raises BadInput with the reason."""
    if not isinstance(data, Mapping):
        raise BadInput("the request body must be a JSON object")
    checkpoint_id = data.get("checkpoint")
    if not checkpoint_id or not isinstance(checkpoint_id, str):
        raise BadInput("choose a checkpoint (field 'checkpoint': an id from /api/checkpoints)")
    info = catalog.get(checkpoint_id)
    if info is None:
        raise BadInput(f"unknown checkpoint {checkpoint_id!r}; see /api/checkpoints", status=404)

    temperature = _number(data, "temperature", float, 0.8)
    lo, hi = TEMPERATURE_RANGE
    if not lo <= temperature <= hi:
        raise BadInput(f"temperature must be between {lo} and {hi}, got {temperature}")
    length = _number(data, "length", int, config["DEFAULT_LENGTH"])
    if not 1 <= length <= config["MAX_LENGTH"]:
        raise BadInput(f"length must be between 1 and {config['MAX_LENGTH']} characters, got {length}")
    seed = _number(data, "seed", int, None)
    if seed is None:
        seed = secrets.randbelow(MAX_SEED)
    if not 0 <= seed <= MAX_SEED:
        raise BadInput(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    prime = data.get("prime")
    if prime is None or prime == "":
        prime = "<html>"
    if not isinstance(prime, str):
        raise BadInput("prime must be text")
    if len(prime) > config["MAX_PRIME"]:
        raise BadInput(f"prime must be at most {config['MAX_PRIME']} characters, got {len(prime)}")
    fields = []
    for name in FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not value.strip():
            raise BadInput(f"{name} must be text")
        if len(value) > MAX_FIELD:
            raise BadInput(f"{name} must be at most {MAX_FIELD} characters, got {len(value)}")
        fields.append((name, value))
    return Job(info, temperature, prime, length, seed, tuple(fields))


def server_for(catalog: Catalog, job: Job) -> BatchServer:
    """The sampling loop of the job's model, with the job's settings checked against the model (its vocabulary)."""
    try:
        server = catalog.server(job.checkpoint)
    except CharLMError as exc:
        raise BadInput(f"checkpoint {job.checkpoint.id} cannot be loaded: {exc}", status=422) from None
    try:
        job.settings().check(server.generator.vocab)
    except CharLMError as exc:
        raise BadInput(str(exc)) from None
    return server


def submit(server: BatchServer, job: Job):
    """Join the model's batch; 503 when its rows and queue are full."""
    try:
        return server.submit(job.settings())
    except ServerBusy as exc:
        raise Busy(f"the model is busy ({exc}); try again in a few seconds") from None


def record(job: Job, text: str) -> dict:
    """The database fields of a finished posting."""
    title, company, location = frame(text) or (None, None, None)
    c = job.checkpoint
    return dict(checkpoint_id=c.id, run=c.run, epoch=c.epoch, val_loss=c.val_loss, temperature=job.temperature,
                prime=job.prime, length=job.length, seed=job.seed, text=text,
                title=title, company=company, location=location)


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream(posting, job: Job, save: Callable[[str], int], url_for_posting: Callable[[int], str],
           flush_every: float = 0.05, preview_every: float = 0.5) -> Iterator[str]:
    """Server-sent events: meta, chunk {text[, html]}..., then done {id, url, html}.

    The caller closes the posting when the response closes (api.generate)."""
    yield sse("meta", {"seed": job.seed, "checkpoint": job.checkpoint.id, "temperature": job.temperature})
    parts, pending = [], []
    last_flush = last_preview = time.monotonic()
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
    if pending:
        yield sse("chunk", {"text": "".join(pending)})
    text = "".join(parts)
    posting_id = save(text)
    yield sse("done", {"id": posting_id, "url": url_for_posting(posting_id), "html": clean(text)})
