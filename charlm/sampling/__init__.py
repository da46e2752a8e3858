"""Sampling: a checkpoint's model writes postings, one at a time, in batches or for many callers.

    settings.py    what a caller may ask of a posting (SampleSettings) and the shared bounds
    generator.py   Generator: load once, then stream, sample or generate(n)
    server.py      BatchServer: one loop that serves many requests (continuous batching)
    batch.py       Batch: rows that step together; joins, leaves, guards and the draw
    steppers.py    one step of a batch: the C kernel's LSTM, or any family's own forward
    frame.py       the coherent title/company/location frame, and a dream job on request
    copy_guard.py  steers rows away from long verbatim copies of the corpus
    word_shares.py steers a body's words to the shares its corpus gives them
    reference_guard.py  the tag guard's rules in Python: the reference the C guard is tested against
    speed.py       characters per second of each path (charlm.bench)
    native/        the C kernel: precisions, the LSTM step, its pacer, the tag guard and the draw
"""
