"""What the three packages share, and nothing else: each module here is dependency-free.

    corpus_format.py  the corpus format: the one specification of a posting, and its constants
    files.py          atomic file writes (temporary file, then rename)
    cli.py            the CLI convention: user errors print one line and exit 2, Ctrl-C exits 130
"""
