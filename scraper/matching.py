"""Forgiving city and title matching, done on our side for sources that cannot filter.

"Seattle" matches "Seattle, WA"; "New York" matches "New York, NY" and "New York City
Metro Area"; "San Francisco Bay Area" matches "San Francisco, CA"; "Remote" matches
"Flexible / Remote". Titles match when every query word starts a word of the title,
case-insensitively: "data scientist" matches "Senior Data Scientist, Ads".
"""

from __future__ import annotations

import re
import unicodedata

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


def city_matches(city: str, location: str) -> bool:
    want = words(ALIASES.get(" ".join(words(city)), city))
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
