"""Every error answers with its status and a message: JSON under /api, a page elsewhere."""


def test_bad_input_is_json_under_the_api_and_a_page_elsewhere(client):
    api = client.get("/api/postings/5")
    assert api.status_code == 404 and api.is_json and "no posting 5" in api.get_json()["error"]
    page = client.get("/postings/5")
    assert page.status_code == 404 and page.mimetype == "text/html" and "There is no posting 5" in page.get_data(True)


def test_http_errors_keep_their_status_and_say_what_went_wrong(client):
    assert client.get("/no/such/page").status_code == 404
    resp = client.get("/api/generate")
    assert resp.status_code == 405 and resp.is_json and resp.get_json()["error"]
    resp = client.post("/api/generate", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.is_json and resp.get_json()["error"]


def test_a_full_model_answers_503_with_retry_after(app, client):
    from webapp.errors import TryLater

    @app.get("/api/always-busy")
    def always_busy():
        raise TryLater("the model is busy")

    resp = client.get("/api/always-busy")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
    assert resp.get_json() == {"error": "the model is busy"}


def test_a_bug_is_a_500_that_names_no_internals(app, client):
    @app.get("/api/broken")
    def broken():
        raise RuntimeError("secret internal detail")

    resp = client.get("/api/broken")
    assert resp.status_code == 500 and "secret" not in resp.get_data(True)
    assert "went wrong on the server" in resp.get_json()["error"]
