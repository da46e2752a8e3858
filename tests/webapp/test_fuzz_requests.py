"""Property tests: whatever a client sends, the gallery answers 2xx/3xx/4xx with a message, never 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

huge = st.integers(min_value=-(2**80), max_value=2**80)
odd_text = st.sampled_from(["", " ", "1.5", "-1", "²", "١٢", "1e400", "NaN", "Infinity", "0x10", "9" * 30,
                            "<script>", "Café ☕", "\x00", "a" * 600])
values = st.one_of(st.none(), st.booleans(), huge, st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=30), odd_text, st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
small_length = st.one_of(st.integers(min_value=1, max_value=200), values)


def assert_answered(resp):
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    if resp.status_code >= 400 and resp.mimetype == "application/json":
        assert resp.get_json()["error"]


@FUZZ
@given(body=st.fixed_dictionaries({}, optional={
    "checkpoint": st.one_of(values, st.just("VALID")), "temperature": values, "prime": values,
    "length": small_length, "seed": values, "title": values, "company": values, "location": values,
    "stream": st.booleans()}))
def test_the_generate_api_never_answers_5xx(client, body):
    valid = client.get("/api/checkpoints").get_json()[0]["id"]
    if body.get("checkpoint") == "VALID":
        body["checkpoint"] = valid
    resp = client.post("/api/generate", data=json.dumps(body), content_type="application/json")
    assert_answered(resp)
    resp.close()


@FUZZ
@given(raw=st.one_of(st.text(max_size=40), odd_text, st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_any_request_body_gets_a_4xx_not_a_5xx(client, raw):
    assert_answered(client.post("/api/generate", data=raw, content_type="application/json"))


@FUZZ
@given(page=st.one_of(odd_text, huge.map(str), st.text(max_size=12)),
       posting_id=st.one_of(huge.map(str), odd_text.filter(lambda t: "/" not in t and "\x00" not in t and t.strip())),
       route=st.sampled_from(["/gallery?page={page}", "/api/postings?page={page}", "/postings/{id}",
                              "/postings/{id}/render", "/api/postings/{id}", "/?seed={page}&temperature={page}",
                              "/compare?checkpoint={page}", "/gallery?checkpoint={page}"]))
def test_page_routes_never_answer_5xx_whatever_the_query_or_id(client, page, posting_id, route):
    from urllib.parse import quote

    assert_answered(client.get(route.format(page=quote(page), id=quote(posting_id))))
    if route.startswith("/postings/{id}") and route.count("/") == 2:
        assert_answered(client.post(f"/postings/{quote(posting_id)}/delete"))
        assert_answered(client.delete(f"/api/postings/{quote(posting_id)}"))
