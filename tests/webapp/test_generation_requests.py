"""Generation over real HTTP: one batched sampling loop per model, its limits, and leaving early."""

import json
import threading
import time

import pytest
import requests

from charlm import Generator
from conftest import serving, sse_events
from webapp import create_app, db


def best_id(base):
    return next(c["id"] for c in requests.get(f"{base}/api/checkpoints", timeout=30).json() if c["best"])


@pytest.fixture
def make_app(checkpoints_dir, tmp_path):
    def make(rows: int, queue: int):
        return create_app({"TESTING": True, "CHECKPOINTS": str(checkpoints_dir), "BATCH_ROWS": rows,
                           "QUEUE_SIZE": queue, "DATABASE": str(tmp_path / f"gallery-{rows}-{queue}.sqlite")})
    return make


def stream_posting(base: str, body: dict) -> tuple[int, str, float]:
    """(status, the streamed text, seconds to the first chunk) of one streamed generation."""
    start = time.monotonic()
    with requests.post(f"{base}/api/generate", json={**body, "stream": True}, stream=True, timeout=120) as resp:
        if resp.status_code != 200:
            return resp.status_code, "", 0.0
        text, first, prev = [], None, ""
        for line in resp.iter_lines(decode_unicode=True):
            if line.startswith("data: ") and prev == "event: chunk":
                first = first or time.monotonic() - start
                text.append(json.loads(line[6:])["text"])
            prev = line
        return resp.status_code, "".join(text), first


def test_eight_clients_share_one_batch_and_each_gets_the_posting_its_seed_gives(make_app, checkpoints_dir):
    app = make_app(rows=8, queue=0)
    with serving(app) as base:
        ckpt = best_id(base)
        server = app.extensions["models"].server(app.extensions["checkpoints"].get(ckpt))
        results, widest = {}, [0]
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                widest[0] = max(widest[0], server.load()[0])
                time.sleep(0.002)

        def client(seed):
            results[seed] = stream_posting(base, {"checkpoint": ckpt, "length": 1500, "seed": seed,
                                                  "temperature": 1.0})

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        stop.set()
        watcher.join()
    assert sorted(results) == list(range(8)) and all(status == 200 for status, _, _ in results.values())
    assert widest[0] >= 2  # rows really were sampled together
    gen = Generator.from_checkpoint(checkpoints_dir / "tiny" / "best.pt")
    for seed, (_, text, first) in results.items():
        assert text == gen.sample(seed=seed, max_length=1500, temperature=1.0)
        assert first < 30


def test_a_disconnect_frees_the_row_at_once_and_the_abandoned_posting_is_not_saved(make_app):
    app = make_app(rows=1, queue=0)
    with serving(app) as base:
        ckpt = best_id(base)
        with requests.post(f"{base}/api/generate", stream=True, timeout=30,
                           json={"checkpoint": ckpt, "length": 20000, "stream": True, "seed": 1}) as resp:
            assert resp.status_code == 200
            next(resp.iter_content(chunk_size=64))
            # While it streams, the only row is taken and there is no queue: turned away at once.
            busy = requests.post(f"{base}/api/generate", json={"checkpoint": ckpt, "length": 5}, timeout=30)
            assert busy.status_code == 503 and busy.headers["Retry-After"]
        # The client has gone; the server notices on its next write and frees the row.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            r = requests.post(f"{base}/api/generate", json={"checkpoint": ckpt, "length": 5}, timeout=30)
            if r.status_code == 201:
                break
            time.sleep(0.1)
        assert r.status_code == 201
        with app.app_context():
            page = db.list_postings("1")
            rows, total = page.rows, page.total
        assert total == 1 and rows[0]["length"] == 5


def test_requests_beyond_rows_and_queue_get_503_and_queued_ones_are_served(make_app):
    app = make_app(rows=2, queue=2)
    with serving(app) as base:
        ckpt = best_id(base)
        statuses = []

        def ask():
            r = requests.post(f"{base}/api/generate", json={"checkpoint": ckpt, "length": 3000, "stop": None},
                              timeout=120)
            statuses.append(r.status_code)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert time.monotonic() - start < 120
    assert len(statuses) == 8 and set(statuses) <= {201, 503} and statuses.count(201) >= 4


def test_a_checkpoint_removed_while_its_posting_is_written_still_saves_the_posting(app, monkeypatch):
    """Badges are computed against the corpus of the model that wrote the posting, without looking
    the checkpoint up again (its file may be gone by the time the posting ends)."""
    from webapp.model_pool import ModelPool

    client = app.test_client()
    ck = next(c["id"] for c in client.get("/api/checkpoints").get_json() if c["best"])
    client.post("/api/generate", json={"checkpoint": ck, "length": 5})  # the model is loaded
    real_server = ModelPool.server
    calls = []

    def gone_after_submit(self, info):
        calls.append(info.id)
        if len(calls) > 1:
            raise FileNotFoundError(str(info.path))
        return real_server(self, info)

    monkeypatch.setattr(ModelPool, "server", gone_after_submit)
    resp = client.post("/api/generate", json={"checkpoint": ck, "length": 50, "seed": 4})
    assert resp.status_code == 201 and resp.get_json()["badges"]["length"] == len(resp.get_json()["text"])
    calls.clear()
    events = sse_events(client.post("/api/generate", json={"checkpoint": ck, "length": 50, "stream": True})
                        .get_data(as_text=True))
    assert events[-1][0] == "done" and client.get(f"/api/postings/{events[-1][1]['id']}").get_json()["badges"]
