"""scraper: gather job postings from real sources into a corpus of bare HTML documents.

    python -m scraper --city Seattle --title "data scientist"
    python -m scraper compile

Pipeline: fetch.py (polite HTTP with a raw-response cache) -> sources/<name>.py (one
parser per source, each yielding Posting objects) -> matching.py (city and title
filters) -> simplify.py (strip to the corpus frame) -> corpus.py (pages, manifest,
input.txt).
"""
