"""What a run asks for (Query) and the forgiving city and title matching that answers it,
done on our side for sources that cannot filter.

"Seattle" matches "Seattle, WA"; "New York" matches "New York, NY" and "New York City
Metro Area"; "San Francisco Bay Area" matches "San Francisco, CA"; "Remote" matches
"Flexible / Remote". Titles match when every query word starts a word of the title,
case-insensitively: "data scientist" matches "Senior Data Scientist, Ads".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .posting import Posting

# What users call a city -> its canonical name. Sources that filter on the server map
# canonical names to their own (sources/themuse.py).
ALIASES = {
    "nyc": "new york",
    "new york city": "new york",
    "sf": "san francisco",
    "bay area": "san francisco bay area",
    "sf bay area": "san francisco bay area",
    "la": "los angeles",
    "dc": "washington",
}


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9+#]+", text.lower())


def _starts_with(seq: list[str], prefix: list[str]) -> bool:
    return bool(prefix) and seq[: len(prefix)] == prefix


def canonical_city(city: str) -> str:
    """'NYC' -> 'new york', 'Seattle, WA' -> 'seattle wa': lower-case words, aliases resolved."""
    key = " ".join(words(city))
    return ALIASES.get(key, key)


def city_matches(city: str, location: str) -> bool:
    want = canonical_city(city).split()
    segments = [words(s) for s in re.split(r"[,/;()|]|\s-\s", location)]
    segments = [s for s in segments if s]
    if any(_starts_with(seg, want) for seg in segments):
        return True
    # "San Francisco, CA" lies in "San Francisco Bay Area": the location's city is where the query starts.
    return len(segments) > 1 and _starts_with(want, segments[0])


def any_city_matches(city: str, locations: list[str]) -> bool:
    return any(city_matches(city, loc) for loc in locations)


def title_matches(query: str, title: str) -> bool:
    have = words(title)
    return all(any(h.startswith(w) for h in have) for w in words(query))


@dataclass(frozen=True)
class Query:
    """One city and one title to gather (None: any)."""

    city: str | None = None
    title: str | None = None

    def label(self, source: str) -> str:
        parts = [source]
        if self.city:
            parts.append(f"city={self.city}")
        if self.title:
            parts.append(f"title={self.title}")
        return " ".join(parts)

    def matches(self, posting: Posting) -> bool:
        if self.city and not any_city_matches(self.city, posting.locations):
            return False
        return not self.title or title_matches(self.title, posting.title)
