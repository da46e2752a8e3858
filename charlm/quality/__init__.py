"""Quality: measures of postings, each a function of text (and a corpus), none of them sampling.

    metrics.py   well-formed, frame, coherent frame, words known, compression
    copies.py    CopyFinder: the longest verbatim stretch a text shares with a corpus
    realism.py   how often a discriminator tells generated postings from real ones
    figures.py   the figures charlm.evaluate reports for a set of samples
    report.py    charlm.evaluate's report
"""
