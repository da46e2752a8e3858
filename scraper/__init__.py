"""scraper: gather job postings from real sources into a corpus of bare HTML documents.

    python -m scraper --city Seattle --title "data scientist"
    python -m scraper compile

Pipeline: cli.py (arguments) -> gather.py (the loop) -> sources/<name>.py (one module
per source behind sources/base.py's Source, fetching through fetch.py: polite HTTP with a
raw-response cache) -> matching.py (Query: city and title filters) -> simplify.py (strip
to the corpus format, dreamjobs/corpus_format.py) -> corpus.py (pages, manifest, input.txt).
"""
