"""The SQLite gallery (the flaskr pattern): one connection per request, schema in schema.sql."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g

from dreamjobs.corpus_format import OLD_FIELD_NAMES

from .errors import Refused

PER_PAGE = 12
MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger id names no posting (and would overflow the driver)
MAX_PAGE = 10**9
# Columns added to the posting table after its first version: (name, type).
LATER_COLUMNS = {"badges": "TEXT", "asked": "TEXT", "comparison_id": "INTEGER REFERENCES comparison (id)",
                 "family": "TEXT", "sampling": "TEXT"}


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], timeout=10)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db(app: Flask) -> None:
    """Create the database and its tables on first run; a no-op afterwards."""
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    schema = (Path(__file__).parent / "schema.sql").read_text()
    with sqlite3.connect(app.config["DATABASE"]) as db:
        db.executescript(schema)
        # Galleries made by earlier versions gain the newer columns; their postings have none.
        have = {row[1] for row in db.execute("PRAGMA table_info(posting)")}
        for column, kind in LATER_COLUMNS.items():
            if column not in have:
                db.execute(f"ALTER TABLE posting ADD COLUMN {column} {kind}")
    app.teardown_appcontext(close_db)


def insert_posting(**fields) -> int:
    db = get_db()
    names = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    cur = db.execute(f"INSERT INTO posting ({names}) VALUES ({marks})", tuple(fields.values()))
    db.commit()
    return cur.lastrowid


def asked(row: sqlite3.Row) -> dict[str, str]:
    """The title, company and location a posting's request asked for ({} for none, or one saved before they were kept)."""
    try:
        found = json.loads(row["asked"]) if row["asked"] else {}
    except json.JSONDecodeError:
        return {}
    return {OLD_FIELD_NAMES.get(k, k): v for k, v in found.items()} if isinstance(found, dict) else {}


def sampling(row: sqlite3.Row) -> dict:
    """top_p, min_p (those it named) and real_words as a posting was sampled; {} for one saved before
    they were kept."""
    try:
        found = json.loads(row["sampling"]) if row["sampling"] else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: found[k] for k in ("top_p", "min_p", "real_words") if found.get(k) is not None}


def stored_badges(row: sqlite3.Row) -> dict | None:
    """A posting's stored badges (None for one saved before badges existed)."""
    try:
        return json.loads(row["badges"]) if row["badges"] else None
    except json.JSONDecodeError:
        return None


def get_posting(posting_id: int) -> sqlite3.Row:
    """The posting, or a 404 that says it is gone."""
    row = None
    if 0 < posting_id <= MAX_ID:
        row = get_db().execute("SELECT * FROM posting WHERE id = ?", (posting_id,)).fetchone()
    if row is None:
        raise Refused(f"There is no posting {posting_id}; it may have been deleted.", status=404)
    return row


def delete_posting(posting_id: int) -> None:
    """Delete the posting, or answer 404 when there is none."""
    get_posting(posting_id)
    db = get_db()
    db.execute("DELETE FROM posting WHERE id = ?", (posting_id,))
    db.commit()


def page_number(raw: str | None) -> int:
    """A ?page= value: ASCII digits from 1 to MAX_PAGE (str.isdigit also takes "²", which int() refuses)."""
    raw = "1" if raw is None else raw
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise Refused(f"page must be a whole number from 1 to {MAX_PAGE:,}, got {raw[:20]!r}")
    return int(raw)


@dataclass
class Page:
    rows: list[sqlite3.Row]
    number: int
    pages: int  # at least 1, so an empty gallery still has its first page
    total: int


def list_postings(raw_page: str | None, checkpoint_id: str | None = None) -> Page:
    """One page of postings (?page=, checked), newest first, with the page count and total."""
    page = page_number(raw_page)
    where, args = ("WHERE checkpoint_id = ?", (checkpoint_id,)) if checkpoint_id else ("", ())
    db = get_db()
    total = db.execute(f"SELECT COUNT(*) FROM posting {where}", args).fetchone()[0]
    rows = db.execute(f"SELECT * FROM posting {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                      (*args, PER_PAGE, (page - 1) * PER_PAGE)).fetchall()
    return Page(rows, page, max(1, -(-total // PER_PAGE)), total)


def insert_comparison(settings: dict) -> int:
    db = get_db()
    cur = db.execute("INSERT INTO comparison (settings) VALUES (?)", (json.dumps(settings),))
    db.commit()
    return cur.lastrowid


def get_comparison(comparison_id: int) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    """The comparison and its columns' postings (in the order they were saved), or a 404."""
    row = None
    if 0 < comparison_id <= MAX_ID:
        row = get_db().execute("SELECT * FROM comparison WHERE id = ?", (comparison_id,)).fetchone()
    if row is None:
        raise Refused(f"There is no comparison {comparison_id}; it may have been deleted.", status=404)
    columns = get_db().execute("SELECT * FROM posting WHERE comparison_id = ? ORDER BY run, epoch, id", (comparison_id,)).fetchall()
    return row, columns


def comparison_settings(comparison_id: int) -> dict:
    """What a comparison's columns are sampled with: temperature, prime, length, seed and the fields asked for."""
    row, _ = get_comparison(comparison_id)
    settings = json.loads(row["settings"])
    return {**{k: settings.get(k) for k in ("temperature", "prime", "length", "seed", "top_p", "min_p", "real_words",
                                            "checkpoints")},
            **settings.get("asked", {})}


def delete_comparison(comparison_id: int) -> None:
    get_comparison(comparison_id)
    db = get_db()
    db.execute("DELETE FROM posting WHERE comparison_id = ?", (comparison_id,))
    db.execute("DELETE FROM comparison WHERE id = ?", (comparison_id,))
    db.commit()


@dataclass
class Entry:
    """One card of the gallery: a posting, or a comparison with its columns."""
    kind: str  # "posting" or "comparison"
    row: sqlite3.Row
    columns: list[sqlite3.Row]
    settings: dict


def list_entries(raw_page: str | None, checkpoint_id: str | None = None) -> Page:
    """One page of the gallery, newest first: postings outside comparisons, and each comparison as one
    entry; with a checkpoint, that checkpoint's postings, comparisons' columns included."""
    if checkpoint_id:
        page = list_postings(raw_page, checkpoint_id)
        return Page([Entry("posting", row, [], {}) for row in page.rows], page.number, page.pages, page.total)
    page = page_number(raw_page)
    db = get_db()
    union = ("SELECT 'posting' AS kind, id, created FROM posting WHERE comparison_id IS NULL "
             "UNION ALL SELECT 'comparison' AS kind, id, created FROM comparison")
    total = db.execute(f"SELECT COUNT(*) FROM ({union})").fetchone()[0]
    keys = db.execute(f"SELECT kind, id FROM ({union}) ORDER BY created DESC, id DESC LIMIT ? OFFSET ?",
                      (PER_PAGE, (page - 1) * PER_PAGE)).fetchall()
    entries = []
    for kind, entry_id in keys:
        if kind == "posting":
            entries.append(Entry(kind, get_posting(entry_id), [], {}))
        else:
            row, columns = get_comparison(entry_id)
            entries.append(Entry(kind, row, columns, json.loads(row["settings"])))
    return Page(entries, page, max(1, -(-total // PER_PAGE)), total)
