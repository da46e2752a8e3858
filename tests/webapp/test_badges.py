import random

from dreamjobs.corpus_format import document
from conftest import DATA_SCIENCE_BODY, ROOT
from jobclass import JobClassifier
from webapp.badges import compute_badges

SHIPPED = ROOT / "checkpoints" / "demo" / "jobclass.skops"


def test_a_handmade_data_science_posting_gets_its_labels_and_agrees_with_its_title(tmp_path):
    clf = JobClassifier.load(SHIPPED)
    posting = document("Data Scientist", "Newco", "Boston, MA", DATA_SCIENCE_BODY)
    b = compute_badges(posting, None, clf)
    assert b["family"] == "data_science" and b["agrees"] is True and 0.5 < b["family_confidence"] <= 1
    assert b["well_formed"] and b["coherent_frame"] and b["length"] == len(posting)
    assert "longest_copy" not in b  # no corpus at hand: no novelty badge rather than a wrong one
    mistitled = compute_badges(document("Registered Nurse", "Newco", "Boston, MA", DATA_SCIENCE_BODY), None, clf)
    assert mistitled["family"] == "data_science" and mistitled["agrees"] is False


def test_a_planted_copy_is_flagged_and_an_original_posting_is_not(tmp_path):
    rng = random.Random(5)
    words = ["data", "model", "team", "build", "ship", "users", "growth", "python", "cloud", "scale"]
    prose = " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(4000))
    corpus = tmp_path / "input.txt"
    corpus.write_text(document("Engineer", "Acme", "Remote", f"<p>{prose}</p>"))
    planted = prose[5000:5300]
    copied = compute_badges(document("Engineer", "Newco", "Remote", f"<p>Intro. {planted} Outro.</p>"), str(corpus), None)
    assert copied["copied"] is True and copied["longest_copy"] >= 300 and copied["copy_limit"] == 200
    original = compute_badges(document("Engineer", "Newco", "Remote", "<p>Nothing like it at all, truly.</p>"),
                      str(corpus), None)
    assert original["copied"] is False and original["longest_copy"] < 200
    assert original["corpus_median_length"] == len(corpus.read_text())


def test_broken_html_and_an_incoherent_frame_are_flagged():
    b = compute_badges("<html>\n<head><title>A - B - C</title></head>\n<body>\n<h1>X</h1>\n<h2>B</h2>\n<h3>C</h3>\n<p>cut",
               None, None)
    assert b["well_formed"] is False and b["coherent_frame"] is False and "family" not in b


def test_saved_postings_carry_their_badges_in_the_api_the_gallery_and_the_posting_page(client):
    ck = next(c["id"] for c in client.get("/api/checkpoints").get_json() if c["best"])
    made = client.post("/api/generate", json={"checkpoint": ck, "seed": 1, "length": 300}).get_json()
    b = made["badges"]
    assert {"well_formed", "coherent_frame", "longest_copy", "length_vs_corpus", "family", "level",
            "family_confidence", "level_confidence"} <= b.keys()
    assert client.get(f"/api/postings/{made['id']}").get_json()["badges"] == b
    family = b["family"].replace("_", " ")
    for page in (client.get("/gallery"), client.get(made["url"])):
        html = page.get_data(as_text=True)
        assert f"{family} {b['family_confidence'] * 100:.0f}%" in html and "chars</li>" in html


def test_made_up_words_are_flagged_against_a_floor_set_by_real_postings(tmp_path):
    from conftest import make_corpus

    corpus = tmp_path / "input.txt"
    corpus.write_text(make_corpus(200, seed=1))
    real = make_corpus(3, seed=9).split("</html>")[0] + "</html>\n"
    b = compute_badges(real, str(corpus), None)
    assert b["made_up"] is False and b["words_known"] >= b["words_floor"] > 0.5
    rng = random.Random(2)
    gibberish = " ".join("".join(rng.choice("aeiouxyzqkt") for _ in range(7)) for _ in range(80))
    bad = compute_badges(document("Liden Ad-podford", "Vexlo", "Tacelerne", f"<p>{gibberish}</p>"), str(corpus), None)
    assert bad["made_up"] is True and bad["words_known"] < 0.3
