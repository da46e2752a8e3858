"""Generation limits over real HTTP: the concurrency cap and stopping when the client leaves."""

import threading
import time

import requests

from webapp import db


def best_id(base):
    return next(c["id"] for c in requests.get(f"{base}/api/checkpoints", timeout=10).json() if c["best"])


def test_a_generation_stops_when_its_client_disconnects(app, live_server):
    app.extensions["slots"] = __import__("webapp.generation", fromlist=["Slots"]).Slots(1)
    ckpt = best_id(live_server)
    with requests.post(f"{live_server}/api/generate", stream=True, timeout=30,
                       json={"checkpoint": ckpt, "length": 12000, "stream": True, "seed": 1}) as resp:
        assert resp.status_code == 200
        next(resp.iter_content(chunk_size=64))
        # While it streams, the only slot is taken: another request is turned away at once.
        busy = requests.post(f"{live_server}/api/generate", json={"checkpoint": ckpt, "length": 5}, timeout=10)
        assert busy.status_code == 503 and busy.headers["Retry-After"]
    # The client has gone; the server notices on its next write and frees the slot.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = requests.post(f"{live_server}/api/generate", json={"checkpoint": ckpt, "length": 5}, timeout=10)
        if r.status_code == 201:
            break
        time.sleep(0.1)
    assert r.status_code == 201
    with app.app_context():
        rows, total = db.list_postings(1)
    assert total == 1 and rows[0]["length"] == 5  # the abandoned posting was not saved


def test_concurrent_requests_beyond_the_slots_get_503_never_hang(app, live_server):
    ckpt = best_id(live_server)
    statuses = []

    def ask():
        r = requests.post(f"{live_server}/api/generate", json={"checkpoint": ckpt, "length": 3000, "stop": None},
                          timeout=60)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert time.monotonic() - start < 60
    assert sorted(set(statuses)) <= [201, 503] and 201 in statuses and len(statuses) == 6
