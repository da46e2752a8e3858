-- The gallery: every saved posting with the settings that reproduce it, and comparisons:
-- postings of several checkpoints with the same settings, shown as one entry.
CREATE TABLE IF NOT EXISTS comparison (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    settings      TEXT    NOT NULL  -- JSON: temperature, prime, length, seed and the fields asked for
);

CREATE TABLE IF NOT EXISTS posting (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    checkpoint_id TEXT    NOT NULL,
    run           TEXT    NOT NULL,
    epoch         INTEGER,
    val_loss      REAL,
    temperature   REAL    NOT NULL,
    prime         TEXT    NOT NULL,
    length        INTEGER NOT NULL,
    seed          INTEGER NOT NULL,
    text          TEXT    NOT NULL,
    title         TEXT,
    company       TEXT,
    location      TEXT,
    badges        TEXT,    -- JSON, computed when the posting was saved (webapp/badges.py)
    asked         TEXT,    -- JSON: the title, company and city the request asked for ({} for none)
    comparison_id INTEGER REFERENCES comparison (id) ON DELETE CASCADE,  -- a column of this comparison
    family        TEXT,    -- the model's family and size, "LSTM 3x512"
    sampling      TEXT     -- JSON: top_p, min_p and real_words as the posting was sampled (null: none)
);

CREATE INDEX IF NOT EXISTS posting_by_checkpoint ON posting (checkpoint_id, id);
