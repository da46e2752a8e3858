"""Quality: measures of postings, each a function of text (and a corpus), none of them sampling.

    metrics.py   well-formed, frame, coherent frame, words known, compression
    copies.py    CopyFinder: the longest verbatim stretch a text shares with a corpus
    realism.py   how often three discriminators tell generated postings from real ones
    bleed.py     how often a body names another company than its own, and how often its own
    figures.py   the figures charlm.evaluate reports for a set of samples
    report.py    charlm.evaluate's report
"""
