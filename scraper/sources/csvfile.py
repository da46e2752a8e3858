"""Kaggle/Glassdoor-style CSV exports: Job Title, Company Name, Location, Job Description.

Descriptions are plain text with newlines; simplify.text_to_html turns them into
paragraphs, headings and lists. Glassdoor appends the rating to the company name
("Acme\\n3.8"); that suffix is dropped. Rows have no id: a hash of the row stands in.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path
from typing import Iterator

from ..errors import ParseError
from ..posting import Posting, Skip
from ..simplify import text_to_html
from ..matching import Query
from .base import Source, file_time

COLUMNS = ("Job Title", "Company Name", "Location", "Job Description")


class CsvSource(Source):
    name = "csv"

    def search(self, query: Query) -> Iterator[Posting | Skip]:
        yield from self.replay(self.input.file)

    def replay(self, path) -> Iterator[Posting | Skip]:
        path = Path(path)
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # descriptions run long
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
        except FileNotFoundError:
            raise ParseError(f"{path}: no such file") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ParseError(f"{path}: not a readable CSV file ({exc})") from None
        missing = [c for c in COLUMNS if rows and c not in rows[0]]
        if not rows or missing:
            raise ParseError(f"{path}: expected columns {', '.join(COLUMNS)}"
                             + (f"; missing {', '.join(missing)}" if missing else "; the file has no rows"))
        yield from self.parse(rows, file_time(path), path.name)

    def parse(self, rows, fetched_at: str, origin: str = "csv") -> Iterator[Posting | Skip]:
        """`origin`: the file's name, which each posting's url points into."""
        for n, row in enumerate(rows, 1):
            title = (row.get("Job Title") or "").strip()
            text = (row.get("Job Description") or "").strip()
            if not text:
                yield Skip("no description")
                continue
            company = re.sub(r"\s*\n\s*-?\d+(\.\d+)?\s*$", "", row.get("Company Name") or "").strip()
            location = (row.get("Location") or "").strip()
            key = "\x1f".join([title, company, location, text])
            yield Posting(
                source=self.name,
                source_id=hashlib.sha256(key.encode()).hexdigest()[:16],
                title=title,
                company=company,
                locations=[location] if location and location != "-1" else [],
                url=f"{origin}#row{n}",
                description_html=text_to_html(text),
                fetched_at=fetched_at,
            )
