"""The corpus on disk: one page per posting, a manifest, and the compiled training text.

    corpus/pages/<source>-<id>.html   one posting in the frame of simplify.py
    corpus/manifest.jsonl             one line per posting: source, source_id, url, title,
                                      company, location, queries, fetched_at, sha256, ...
    corpus/input.txt                  every page, in file-name order: what charlm trains on

Consistency under interruption: a page is written (atomically) before its manifest
line is appended, the manifest is compacted and input.txt compiled (both atomically)
at the end of a run. A run killed half-way leaves complete pages and a manifest whose
last line may be cut; loading skips such a line and a re-run completes the rest.
A posting already stored (same source and id, or the same body text from anywhere)
is never written again: its manifest entry only gains the new query.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from dreamjobs.files import TEMP_GLOB, atomic_write

from .posting import Posting
from .simplify import build_document, latin_share

# Below this share of Latin letters a posting is in another script (Japanese, Arabic...):
# a handful of such postings would only add hundreds of characters seen a few times each.
MIN_LATIN = 0.9


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def page_name(source: str, source_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", source_id).strip("._")[:80] or sha256(source_id)[:16]
    return f"{source}-{safe}.html"


class Corpus:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.pages = self.root / "pages"
        self.manifest_path = self.root / "manifest.jsonl"
        self.input_path = self.root / "input.txt"
        self.entries: dict[str, dict] = {}
        self.by_key: dict[tuple[str, str], str] = {}
        self.by_body: dict[str, str] = {}
        self.damaged_lines = 0
        # Temporary files of writes that a kill cut short; their final files were never made.
        for tmp in self.root.glob("**/" + TEMP_GLOB):
            tmp.unlink(missing_ok=True)
        self._load()

    def _load(self) -> None:
        if not self.manifest_path.exists():
            return
        for line in self.manifest_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                file = entry["file"]
            except (json.JSONDecodeError, KeyError, TypeError):
                self.damaged_lines += 1  # a line cut short by a killed run
                continue
            if not (self.pages / file).exists():
                continue
            old = self.entries.get(file)
            if old:
                entry["queries"] = list(dict.fromkeys(old["queries"] + entry.get("queries", [])))
            self._index(entry)

    def _index(self, entry: dict) -> None:
        self.entries[entry["file"]] = entry
        self.by_key[(entry["source"], entry["source_id"])] = entry["file"]
        if entry.get("body_sha256"):
            self.by_body[entry["body_sha256"]] = entry["file"]

    def _append(self, entry: dict) -> None:
        with open(self.manifest_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()

    def add(self, posting: Posting, query: str) -> str:
        """Store a posting found by a query.

        Returns 'new', 'duplicate', 'empty' (nothing left after stripping) or 'other script'.
        """
        known = self.by_key.get((posting.source, posting.source_id))
        if known:
            return self._found_again(known, query)
        doc, body = build_document(posting.title, posting.company, posting.location, posting.description_html)
        if not body.strip():
            return "empty"
        if latin_share(body) < MIN_LATIN:
            return "other script"
        body_sha = sha256(body)
        if body_sha in self.by_body:
            return self._found_again(self.by_body[body_sha], query)
        file = page_name(posting.source, posting.source_id)
        path = self.pages / file
        if path.exists():
            # Written by an earlier run that was stopped before its manifest line: keep it as it is.
            doc = path.read_text(encoding="utf-8")
        else:
            atomic_write(path, doc)
        entry = {
            "file": file,
            "source": posting.source,
            "source_id": posting.source_id,
            "url": posting.url,
            "title": posting.title,
            "company": posting.company,
            "location": posting.location,
            "queries": [query],
            "fetched_at": posting.fetched_at,
            "sha256": sha256(doc),
            "body_sha256": body_sha,
        }
        self._append(entry)
        self._index(entry)
        return "new"

    def _found_again(self, file: str, query: str) -> str:
        entry = self.entries[file]
        if query not in entry["queries"]:
            entry["queries"].append(query)
            self._append(entry)
        return "duplicate"

    def finish(self) -> dict:
        """Compact the manifest and compile input.txt; returns the corpus figures."""
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.manifest_path, "".join(json.dumps(self.entries[f], ensure_ascii=False) + "\n"
                                                 for f in sorted(self.entries)))
        return self.compile()

    def compile(self) -> dict:
        files = sorted(self.pages.glob("*.html")) if self.pages.exists() else []
        text = "".join(p.read_text(encoding="utf-8") for p in files)
        atomic_write(self.input_path, text)
        listed = set(self.entries)
        return {"postings": len(files), "chars": len(text), "vocab": len(set(text)),
                "unlisted": [p.name for p in files if p.name not in listed]}
