"""The HTML pages through Flask's test client, errors included."""

import json
import re
import shutil
from urllib.parse import parse_qs

from webapp import create_app


def make_posting(client, **body):
    ckpt = next(c["id"] for c in client.get("/api/checkpoints").get_json() if c["best"])
    body = {"checkpoint": ckpt, "length": 200, "seed": 1, **body}
    return client.post("/api/generate", json=body).get_json()


def test_generate_page_offers_checkpoints_temperature_prime_length_and_seed(client):
    html = client.get("/").get_data(as_text=True)
    checkpoint = re.search(r'<select name="checkpoint".*?</select>', html, re.S).group()
    assert '<optgroup label="tiny · LSTM 2x48">' in checkpoint and checkpoint.count("<option") == 3 and "★ best" in html
    assert 'name="top_p"' in html and 'name="min_p"' in html and 'name="real_words"' in html
    assert re.search(r'type="range" name="temperature" id="temperature" min="0.1" max="2.0" step="0.05" value="0.95"', html)
    assert 'name="prime"' in html and 'name="length"' in html
    assert re.search(r'name="seed" id="seed" min="0" value="\d+"', html)
    assert 'sandbox=""' in html


def test_generate_page_takes_settings_from_the_query(client):
    html = client.get("/?temperature=1.3&seed=42&prime=%3Ch1%3EData&length=99").get_data(as_text=True)
    assert 'value="1.3"' in html and 'value="42"' in html and 'value="&lt;h1&gt;Data"' in html


def test_gallery_cards_show_title_company_city_checkpoint_and_temperature(client, app):
    from webapp import db

    with app.app_context():
        db.insert_posting(checkpoint_id="tiny:epoch003_val0.7", run="tiny", epoch=3, val_loss=0.7, temperature=0.5,
                          prime="<html>", length=100, seed=9,
                          text="<html><h1>Chief Dreamer</h1><h2>Acme</h2><h3>Seattle, WA</h3></html>",
                          title="Chief Dreamer", company="Acme", location="Seattle, WA")
    html = client.get("/gallery").get_data(as_text=True)
    for piece in ["Chief Dreamer", "Acme", "Seattle, WA", "tiny · epoch 3 · T 0.5 · seed 9"]:
        assert piece in html
    assert "Chief Dreamer" not in client.get("/gallery?checkpoint=other").get_data(as_text=True)


def test_gallery_paginates(client):
    for i in range(13):
        make_posting(client, seed=i, length=5)
    first, second = client.get("/gallery").get_data(as_text=True), client.get("/gallery?page=2").get_data(as_text=True)
    assert first.count('class="card"') == 12 and second.count('class="card"') == 1
    assert "page 1 of 2" in first and "older →" in first and "← newer" in second
    past = client.get("/gallery?page=99").get_data(as_text=True)
    assert "Page 99 is past the end: there are 2 pages" in past and "/gallery?page=2" in past
    assert "Nothing here yet" not in past


def test_permalink_shows_settings_frame_source_and_generate_again(client):
    p = make_posting(client, temperature=1.1, seed=77, prime="<html>")
    html = client.get(f"/postings/{p['id']}").get_data(as_text=True)
    assert f'<iframe id="rendered" sandbox="" src="/postings/{p["id"]}/render"' in html
    assert "seed=77" in html and "temperature=1.1" in html  # generate again, same settings
    raw = re.search(r'<pre id="raw">(.*?)</pre>', html, re.S).group(1)
    assert raw.startswith("&lt;html&gt;")  # the source is shown as text, never as markup


def test_render_serves_the_sanitized_page_under_a_strict_policy(client, app):
    from webapp import db

    with app.app_context():
        pid = db.insert_posting(checkpoint_id="x", run="x", epoch=1, val_loss=1.0, temperature=1.0, prime="<",
                                length=1, seed=1, text="<h1>Hi</h1><script>alert(1)</script><img src=x onerror=alert(1)>")
    resp = client.get(f"/postings/{pid}/render")
    body = resp.get_data(as_text=True)
    assert "<h1>Hi</h1>" in body and "<script>alert" not in body and "onerror" not in body
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp


def test_delete_from_the_permalink(client):
    p = make_posting(client)
    resp = client.post(f"/postings/{p['id']}/delete")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/gallery")
    assert client.get(f"/postings/{p['id']}").status_code == 404


def test_compare_preselects_the_first_a_middle_and_the_best_epoch(client):
    html = client.get("/compare").get_data(as_text=True)
    checked = re.findall(r'value="([^"]+)"[^>]* checked', html)
    assert [c.split("_")[0] for c in checked] == ["tiny:epoch001", "tiny:epoch002", "tiny:epoch003"]


def test_compare_takes_its_epochs_from_a_run_that_has_several(checkpoints_dir, client):
    best = (checkpoints_dir / "tiny" / "best.pt").resolve()
    (checkpoints_dir / "alpha").mkdir()  # listed first, with one checkpoint, as a shipped demo
    shutil.copyfile(best, checkpoints_dir / "alpha" / best.name)
    html = client.get("/compare").get_data(as_text=True)
    checked = re.findall(r'value="([^"]+)"[^>]* checked', html)
    assert [c.split("_")[0] for c in checked] == ["tiny:epoch001", "tiny:epoch002", "tiny:epoch003"]
    assert "alpha:" + best.stem in html  # still offered, alone


def test_compare_names_each_checkpoint_by_epoch_and_val_loss_in_words(client):
    html = client.get("/compare").get_data(as_text=True)
    labels = re.findall(r'data-label="([^"]+)"', html)
    assert len(labels) == 3 and all(re.fullmatch(r"epoch \d+, val \d\.\d{3}", label) for label in labels)


def test_training_page_draws_the_loss_curves_and_lists_checkpoints(client):
    html = client.get("/training").get_data(as_text=True)
    assert "<svg" in html and 'class="train"' in html and html.count('<circle') == 3
    assert html.count("<tr") == 4 and "★ best" in html


def test_pages_answer_errors_with_a_page_not_a_traceback(client):
    resp = client.get("/postings/999")
    assert resp.status_code == 404 and "There is no posting 999" in resp.get_data(as_text=True)
    assert "<html" in resp.get_data(as_text=True)
    assert client.get("/gallery?page=abc").status_code == 400
    assert client.get("/no/such/page").status_code == 404
    assert client.post("/gallery").status_code == 405


def test_security_headers_on_every_page(client):
    resp = client.get("/")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_without_checkpoints_the_app_starts_and_says_how_to_train(tmp_path):
    empty = create_app({"TESTING": True, "CHECKPOINTS": str(tmp_path / "none"),
                        "DATABASE": str(tmp_path / "db.sqlite")}).test_client()
    for page in ["/", "/compare", "/training"]:
        html = empty.get(page).get_data(as_text=True)
        assert "No checkpoints yet" in html and "python -m charlm.train" in html
    assert empty.get("/api/checkpoints").get_json() == []
    assert empty.get("/gallery").status_code == 200


# Issue 28, a new user's walk: each test below failed on the code before it.

def test_a_temperature_from_the_link_out_of_range_is_shown_as_the_one_used_and_said_plainly(client):
    html = client.get("/?temperature=99").get_data(as_text=True)
    assert re.search(r'id="temperature-value">2</output>', html) and re.search(r'id="temperature" [^>]*value="2"', html)
    assert "The temperature in the link, 99, is outside 0.1-2.0; the form uses 2." in html
    low = client.get("/?temperature=0.01").get_data(as_text=True)
    assert "the form uses 0.1" in low and re.search(r'id="temperature" [^>]*value="0.1"', low)
    junk = client.get("/?temperature=hot").get_data(as_text=True)
    assert "The temperature in the link, hot, is not a number; the form uses the default, 0.95." in junk
    assert "the form uses" not in client.get("/?temperature=1.3").get_data(as_text=True)


def test_a_posting_shows_the_fields_it_asked_for_and_generate_again_carries_them(client):
    asked = {"title": "Chief Data Dreamer", "location": "Chicago, IL"}
    posting = make_posting(client, seed=3, length=400, **asked)
    assert posting["asked"] == asked
    html = client.get(f"/postings/{posting['id']}").get_data(as_text=True)
    assert "title <q>Chief Data Dreamer</q>, location <q>Chicago, IL</q>" in html
    again = re.search(r'href="(/\?[^"]+)">Generate again', html).group(1).replace("&amp;", "&")
    query = {k: v[0] for k, v in parse_qs(again[2:]).items()}
    assert query["title"] == "Chief Data Dreamer" and query["location"] == "Chicago, IL" and query["seed"] == "3"
    form = client.get(again).get_data(as_text=True)
    assert 'value="Chief Data Dreamer"' in form and 'value="Chicago, IL"' in form
    assert 'value="Chicago, IL"' in client.get("/?city=Chicago%2C+IL").get_data(as_text=True)  # a link of before
    # The same link's settings write the same posting.
    same = client.post("/api/generate", json={"checkpoint": query["checkpoint"], "length": 400, "seed": 3,
                                              **asked}).get_json()
    assert same["text"] == posting["text"]
    plain = make_posting(client, seed=4, length=50)
    assert "nothing: the model chose" in client.get(f"/postings/{plain['id']}").get_data(as_text=True)


def test_a_comparison_is_one_gallery_entry_with_its_own_page_columns_and_badges(client):
    ids = [c["id"] for c in client.get("/api/checkpoints").get_json()]
    settings = {"temperature": 0.9, "seed": 11, "length": 300, "title": "Data Wrangler", "checkpoints": ids}
    made = client.post("/api/comparisons", json=settings)
    assert made.status_code == 201
    comparison = made.get_json()
    for ckpt in ids:  # the columns take the comparison's settings, whatever else a request says
        resp = client.post("/api/generate", json={"checkpoint": ckpt, "comparison": comparison["id"], "seed": 99})
        assert resp.status_code == 201 and resp.get_json()["comparison"] == comparison["id"]
    make_posting(client, seed=1, length=20)
    gallery = client.get("/gallery").get_data(as_text=True)
    assert "2 entries" in gallery and gallery.count('class="card comparison"') == 1
    assert f'href="/comparisons/{comparison["id"]}"' in gallery and "Comparison of 3 checkpoints" in gallery
    page = client.get(comparison["url"]).get_data(as_text=True)
    assert page.count('<article class="column">') == 3 and page.count('<ul class="badges">') == 3
    assert "title <q>Data Wrangler</q>" in page and "<td>11</td>" in page
    columns = client.get(f"/api/comparisons/{comparison['id']}").get_json()["columns"]
    assert {c["seed"] for c in columns} == {11} and all(c["asked"] == {"title": "Data Wrangler"} for c in columns)
    assert client.post("/api/generate", json={"checkpoint": ids[0], "comparison": 999}).status_code == 404
    assert client.post("/api/comparisons", json={"temperature": 9, "checkpoints": ids}).status_code == 400
    for too_few in ([], ids[:1], [ids[0], ids[0]], None):  # issue 39 #5: "Comparison of 0 checkpoints"
        resp = client.post("/api/comparisons", json={"checkpoints": too_few})
        assert resp.status_code == 400 and "at least two different checkpoints" in resp.get_json()["error"]
    unknown = client.post("/api/comparisons", json={"checkpoints": [ids[0], "bogus"]})
    assert unknown.status_code == 404 and "unknown checkpoint 'bogus'" in unknown.get_json()["error"]
    other = client.post("/api/comparisons", json={"checkpoints": ids[:2]}).get_json()
    outside = client.post("/api/generate", json={"checkpoint": ids[2], "comparison": other["id"]})
    assert outside.status_code == 400 and "is not one of comparison" in outside.get_json()["error"]
    assert "T each model’s default" in client.get("/gallery").get_data(as_text=True)
    client.post(f"/comparisons/{other['id']}/delete")
    assert client.post(f"/comparisons/{comparison['id']}/delete").status_code == 302
    assert client.get(comparison["url"]).status_code == 404 and "1 entry" in client.get("/gallery").get_data(as_text=True)


def test_the_generate_page_says_which_checkpoints_are_loaded_and_hints_before_the_first_run(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count('data-loaded="false"') == 3 and 'id="hint"' in html
    make_posting(client, length=5)
    assert client.get("/").get_data(as_text=True).count('data-loaded="true"') == 1


def test_the_about_page_explains_the_badges_and_shows_each_models_realism(client, checkpoints_dir):
    html = client.get("/about").get_data(as_text=True)
    assert "What the badges say" in html and "coherent frame" in html and "tiny · LSTM 2x48" in html
    assert "No realism figures yet" in html and "--realism --save" in html
    record = {"date": "2026-12-06", "machine": "a CPU", "command": "python -m charlm.evaluate x --realism --save",
              "samples": 200, "settings": {"temperature": 0.9, "top_p": 0.95, "min_p": None, "real_words": True},
              "accuracy": {"generated": {"char": 0.81, "word": 0.77, "doc": 0.66},
                           "control": {"char": 0.49, "word": 0.51, "doc": 0.5}}}
    (checkpoints_dir / "tiny" / "realism.json").write_text(json.dumps(record))
    html = client.get("/about").get_data(as_text=True)
    assert "temperature 0.9, top-p 0.95, real words on" in html and "<td>0.81</td><td>0.49</td>" in html
    assert "Measured 2026-12-06 on a CPU" in html


def test_a_gallery_filtered_by_an_unknown_checkpoint_says_so(client):
    # Issue 39 #6: it said "Nothing here yet" while the select showed "all checkpoints".
    resp = client.get("/gallery?checkpoint=bogus")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "There is no checkpoint “bogus”" in html
    assert '<option value="bogus" selected>bogus (not in checkpoints/)</option>' in html and "Nothing here yet" not in html


def test_delete_asks_first_and_the_settings_table_stacks_on_a_phone(client):
    # Issue 39 #9: delete had no confirmation; the metadata table overflowed at 400 px.
    posting = make_posting(client)
    html = client.get(f"/postings/{posting['id']}").get_data(as_text=True)
    assert 'data-confirm="Delete this for good?' in html
    script = client.get("/static/app.js").get_data(as_text=True)
    assert 'querySelectorAll("form[data-confirm]")' in script and "window.confirm" in script
    style = client.get("/static/style.css").get_data(as_text=True)
    assert re.search(r"@media \(max-width: 600px\) \{\s*\.settings-table[^}]*display: block", style)


def test_the_chosen_checkpoint_shows_its_run_and_family_too(client):
    # Issue 39 #7: once chosen, the select showed only "epoch 1, val 0.629 ★ best".
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<option value="tiny:epoch\d+_val[\d.]+"[^>]*>epoch \d+, val [\d.]+ ★ best · tiny · LSTM 2x48</option>',
                     html), html
