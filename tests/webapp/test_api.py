"""The JSON API through Flask's test client, errors included."""

import pytest

from conftest import sse_events


def checkpoint_id(client) -> str:
    return next(c["id"] for c in client.get("/api/checkpoints").get_json() if c["best"])


def generate(client, **body):
    body.setdefault("checkpoint", checkpoint_id(client))
    body.setdefault("length", 300)
    return client.post("/api/generate", json=body)


def test_checkpoints_are_listed_by_id_without_file_paths(client):
    found = client.get("/api/checkpoints").get_json()
    assert [c["epoch"] for c in found] == [1, 2, 3]
    assert all(set(c) == {"id", "run", "model", "epoch", "val_loss", "best", "latest", "label"} and c["run"] == "tiny"
               for c in found)
    assert [c["label"] for c in found] == [f"epoch {c['epoch']}, val {c['val_loss']:.3f}" for c in found]
    assert sum(c["best"] for c in found) == 1
    assert not any("/" in c["id"] or ".pt" in c["id"] for c in found)


def test_generate_saves_a_posting_that_reads_back(client):
    resp = generate(client, temperature=0.8, prime="<html>", seed=7)
    assert resp.status_code == 201
    posting = resp.get_json()
    assert posting["text"].startswith("<html>") and posting["seed"] == 7
    assert "<script" not in posting["html"]
    again = client.get(f"/api/postings/{posting['id']}").get_json()
    assert again["text"] == posting["text"] and again["temperature"] == 0.8
    # The same checkpoint, seed and settings give the same posting.
    assert generate(client, temperature=0.8, prime="<html>", seed=7).get_json()["text"] == posting["text"]


def test_a_dream_job_on_request_carries_its_title_and_location(client):
    posting = generate(client, seed=3, length=800, title="Dream Data Scientist", location="Seattle, WA").get_json()
    assert (posting["title"], posting["location"]) == ("Dream Data Scientist", "Seattle, WA")
    assert posting["company"] and "<h1>Dream Data Scientist</h1>" in posting["text"]
    # "city", the field's name before, still asks for it.
    older = generate(client, seed=3, length=800, title="Dream Data Scientist", city="Seattle, WA").get_json()
    assert older["text"] == posting["text"] and older["asked"] == posting["asked"]


def test_a_random_seed_is_drawn_and_reported(client):
    posting = generate(client).get_json()
    assert isinstance(posting["seed"], int) and posting["seed"] >= 0


def test_streaming_sends_chunks_then_the_saved_posting(client):
    resp = generate(client, seed=3, length=500, stream=True)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    events = sse_events(resp.get_data(as_text=True))
    kinds = [e for e, _ in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "chunk" in kinds
    text = "".join(d["text"] for e, d in events if e == "chunk")
    done = events[-1][1]
    saved = client.get(f"/api/postings/{done['id']}").get_json()
    assert saved["text"] == text and done["url"] == f"/postings/{done['id']}"


def test_the_first_chunk_already_carries_the_rendered_preview(client):
    # Issue 28 #7: the preview stayed blank for the first half second while the source streamed.
    events = sse_events(generate(client, seed=3, length=500, stream=True).get_data(as_text=True))
    first = next(d for e, d in events if e == "chunk")
    assert "html" in first  # sent at once (empty while only the prime has come: "<html>" alone renders nothing)


def test_postings_are_listed_newest_first_paginated_and_filtered(client):
    ids = [generate(client, length=20, seed=i).get_json()["id"] for i in range(14)]
    page1 = client.get("/api/postings").get_json()
    assert page1["total"] == 14 and page1["pages"] == 2
    assert [p["id"] for p in page1["postings"]] == ids[::-1][:12]
    assert [p["id"] for p in client.get("/api/postings?page=2").get_json()["postings"]] == ids[1::-1]
    other = client.get("/api/postings?checkpoint=tiny:epoch001_nope").get_json()
    assert other["total"] == 0
    mine = client.get(f"/api/postings?checkpoint={checkpoint_id(client)}").get_json()
    assert mine["total"] == 14


def test_delete_removes_a_posting(client):
    pid = generate(client, length=10).get_json()["id"]
    assert client.delete(f"/api/postings/{pid}").status_code == 204
    assert client.get(f"/api/postings/{pid}").status_code == 404
    assert client.delete(f"/api/postings/{pid}").status_code == 404


@pytest.mark.parametrize("body, status, message", [
    ({"checkpoint": "nope:epoch001"}, 404, "unknown checkpoint 'nope:epoch001'"),
    ({"checkpoint": "../../etc/passwd"}, 404, "unknown checkpoint"),
    ({}, 400, "choose a checkpoint"),
    ({"temperature": 5}, 400, "temperature must be between 0.1 and 2.0"),
    ({"temperature": 0}, 400, "temperature must be between"),
    ({"temperature": "hot"}, 400, "temperature must be a number"),
    ({"temperature": "nan"}, 400, "finite"),
    ({"temperature": True}, 400, "temperature must be a number"),
    ({"prime": "<h1>Café ☕"}, 400, "'é' (U+00E9)"),
    ({"prime": "x" * 501}, 400, "prime must be at most 500 characters"),
    ({"prime": ["<html>"]}, 400, "prime must be text"),
    ({"length": 10**6}, 400, "length must be between 1 and"),
    ({"length": 0}, 400, "length must be between 1 and"),
    ({"length": "long"}, 400, "length must be a whole number"),
    ({"seed": -1}, 400, "seed must be between 0 and"),
    ({"length": 1.5}, 400, "length must be a whole number, got 1.5"),
    ({"seed": 1.5}, 400, "seed must be a whole number, got 1.5"),
    ({"seed": float("inf")}, 400, "seed must be a whole number"),
    ({"length": 10**30}, 400, "length must be between 1 and"),
    ({"seed": "²"}, 400, "seed must be a whole number"),
    ({"title": "Café"}, 400, "title has characters the model's vocabulary lacks: 'é'"),
    ({"location": ["Seattle"]}, 400, "location must be text"),
    ({"company": "x" * 201}, 400, "company must be at most 200 characters"),
    ({"title": "Data Scientist", "prime": "<p>"}, 400, "need a prime that begins the posting frame"),
    ({"top_p": 0}, 400, "top_p must be in (0, 1], got 0"),
    ({"top_p": "1.01"}, 400, "top_p must be in (0, 1]"),
    ({"min_p": 1}, 400, "min_p must be in [0, 1), got 1"),
    ({"min_p": -0.5}, 400, "min_p must be in [0, 1)"),
    ({"min_p": "lots"}, 400, "min_p must be a number"),
    ({"real_words": "maybe"}, 400, "real_words must be true or false (on or off)"),
    ({"real_words": 2}, 400, "real_words must be true or false"),
])
def test_bad_generation_requests_get_a_4xx_with_a_message(client, body, status, message):
    if "checkpoint" not in body and body:
        body["checkpoint"] = checkpoint_id(client)
    resp = client.post("/api/generate", json=body)
    assert resp.status_code == status
    assert message in resp.get_json()["error"]


def test_malformed_bodies_unknown_routes_and_methods_answer_json(client):
    resp = client.post("/api/generate", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and "JSON" in resp.get_json()["error"]
    resp = client.post("/api/generate", json=["a", "list"])
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["error"]
    assert client.get("/api/postings/12345").status_code == 404
    assert "no posting 12345" in client.get("/api/postings/12345").get_json()["error"]
    assert client.get("/api/nothing").status_code == 404 and client.get("/api/nothing").is_json
    assert client.put("/api/checkpoints").status_code == 405 and client.put("/api/checkpoints").is_json
    assert client.get("/api/postings?page=0").status_code == 400


def test_a_full_house_answers_503_with_retry_after(app, client):
    from charlm import SampleSettings

    server = app.extensions["models"].server(app.extensions["checkpoints"].get(checkpoint_id(client)))
    # Every row and queue place taken by postings that never stop on their own.
    held = [server.submit(SampleSettings(max_length=10**6, stop=None, seed=i))
            for i in range(app.config["BATCH_ROWS"] + app.config["QUEUE_SIZE"])]
    try:
        resp = generate(client, length=10)
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
        assert "busy" in resp.get_json()["error"]
    finally:
        for posting in held:
            posting.close()
    assert generate(client, length=10).status_code == 201


def test_a_stream_closed_before_its_first_event_frees_its_row(app, client):
    from werkzeug.test import EnvironBuilder

    server = app.extensions["models"].server(app.extensions["checkpoints"].get(checkpoint_id(client)))
    made, submit = [], server.submit
    server.submit = lambda settings: made.append(submit(settings)) or made[-1]
    environ = EnvironBuilder(path="/api/generate", method="POST",
                             json={"checkpoint": checkpoint_id(client), "length": 20000, "stream": True}).get_environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert len(made) == 1 and not made[0].closed
    body.close()  # the server drops the response before sending anything: no event was ever made
    assert made[0].closed


def test_a_damaged_checkpoint_is_a_422_not_a_crash(app, client, checkpoints_dir):
    (checkpoints_dir / "broken").mkdir()
    (checkpoints_dir / "broken" / "epoch001_val1.0000.pt").write_bytes(b"not a checkpoint")
    resp = client.post("/api/generate", json={"checkpoint": "broken:epoch001_val1.0000", "length": 10})
    assert resp.status_code == 422 and "cannot be loaded" in resp.get_json()["error"]


def test_numbers_json_cannot_hold_and_ids_sqlite_cannot_hold_are_4xx(client):
    cid = checkpoint_id(client)
    for field in ("temperature", "length", "seed"):
        raw = '{"checkpoint": "%s", "%s": 1e400}' % (cid, field)
        resp = client.post("/api/generate", data=raw, content_type="application/json")
        assert resp.status_code == 400 and field in resp.get_json()["error"]
    huge = 2**70
    assert client.get(f"/api/postings/{huge}").status_code == 404
    assert client.delete(f"/api/postings/{huge}").status_code == 404
    assert client.get(f"/postings/{huge}").status_code == 404
    for page in ("²", str(huge), "0", "-1"):
        assert client.get(f"/api/postings?page={page}").status_code == 400
        assert client.get(f"/gallery?page={page}").status_code == 400


def test_checkpoints_postings_and_cards_name_the_model_family(client):
    # Issue 27: the posting page, the cards and the API name the family.
    assert {c["model"] for c in client.get("/api/checkpoints").get_json()} == {"LSTM 2x48"}
    posting = generate(client, seed=2, length=50).get_json()
    assert posting["model"] == "LSTM 2x48" and "family" not in posting  # the job family is a badge
    assert "tiny · LSTM 2x48 · epoch 3" in client.get("/gallery").get_data(as_text=True)
    assert "tiny · LSTM 2x48 · epoch 3" in client.get(f"/postings/{posting['id']}").get_data(as_text=True)


def test_truncation_and_the_words_guard_are_taken_as_json_and_as_form_values_and_kept(client):
    body = {"checkpoint": checkpoint_id(client), "seed": 5, "length": 300}
    plain = client.post("/api/generate", json=body).get_json()
    assert plain["sampling"] == {"real_words": True} and plain["temperature"] == 0.95  # the family's defaults
    asked = client.post("/api/generate", json={**body, "top_p": "0.9", "min_p": 0.05, "real_words": "off"}).get_json()
    assert asked["sampling"] == {"top_p": 0.9, "min_p": 0.05, "real_words": False}
    again = client.get(f"/postings/{asked['id']}").get_data(as_text=True)
    assert "top_p=0.9" in again and "min_p=0.05" in again and "real_words=off" in again
    form = client.get("/?top_p=0.9&min_p=0.05&real_words=off").get_data(as_text=True)
    assert 'name="top_p" id="top_p" min="0.01" max="1" step="0.01" value="0.9"' in form
    assert '<option value="off" selected>' in form


def test_the_stream_says_which_guards_are_off(client):
    events = sse_events(generate(client, seed=3, length=50, stream=True).get_data(as_text=True))
    meta = next(d for e, d in events if e == "meta")
    assert meta["guards_off"] == [] and meta["real_words"] is True and meta["temperature"] == 0.95


def test_without_the_c_kernel_the_gallery_still_writes_postings_and_says_why(client, monkeypatch):
    from charlm.sampling import native

    monkeypatch.setattr(native, "_failure", native.NativeUnavailable("could not build charlm's sampling kernel:"))
    response = generate(client, seed=5, length=300)
    assert response.status_code == 201 and response.get_json()["text"].startswith("<html>")
    stream = client.post("/api/generate", json={"checkpoint": checkpoint_id(client), "seed": 5, "length": 100,
                                                "stream": True}).get_data(as_text=True)
    assert "the C kernel is unavailable (could not build charlm's sampling kernel)" in stream
