import pytest

from dreamjobs.cli import UserError
from dreamjobs.corpus_format import document
from conftest import DATA_SCIENCE_BODY, ROOT, run_module
from jobclass import JobClassifier, agreement
from jobclass.dataset import read_examples

SHIPPED = ROOT / "checkpoints" / "demo" / "jobclass.skops"


@pytest.fixture(scope="module")
def trained(family_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("clf") / "jobclass.skops"
    proc = run_module("jobclass.train", "--corpus-dir", str(family_corpus), "--out", str(out), "--compare")
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_training_reports_both_approaches_on_held_out_companies_and_saves(trained):
    out, report = trained
    assert "## tfidf-logreg" in report and "## tfidf-mlp" in report
    assert "family: macro-F1" in report and "level: macro-F1" in report and "data_science" in report
    assert out.is_file() and out.stat().st_size < 5_000_000


def test_a_known_data_science_body_is_labelled_data_science_whatever_its_title(trained):
    clf = JobClassifier.load(trained[0])
    for title in ("Data Scientist", "Software Engineer"):
        labels = clf.predict([document(title, "Newco", "Boston, MA", DATA_SCIENCE_BODY)])[0]
        assert labels.family == "data_science" and 0.5 < labels.family_confidence <= 1.0
    as_titled = document("Data Scientist", "Newco", "Boston, MA", DATA_SCIENCE_BODY)
    mistitled = document("Software Engineer", "Newco", "Boston, MA", DATA_SCIENCE_BODY)
    assert agreement(as_titled, clf.predict([as_titled])[0]) is True
    assert agreement(mistitled, clf.predict([mistitled])[0]) is False


def test_the_classifier_learns_the_families_of_the_corpus(trained, family_corpus):
    clf = JobClassifier.load(trained[0])
    examples = read_examples(family_corpus)
    predicted = clf.predict_bodies([e.body for e in examples])
    assert sum(p.family == e.family for p, e in zip(predicted, examples)) / len(examples) > 0.9


def test_the_shipped_classifier_reads_a_data_science_body_as_data_science():
    labels = JobClassifier.load(SHIPPED).predict([document("Posting", "Newco", "Boston, MA", DATA_SCIENCE_BODY)])[0]
    assert labels.family == "data_science" and labels.family_confidence > 0.5


def test_predict_prints_labels_with_confidence_and_refuses_bad_files(tmp_path):
    page = tmp_path / "ds.html"
    page.write_text(document("Anything", "Newco", "Boston, MA", DATA_SCIENCE_BODY))
    proc = run_module("jobclass.predict", str(page))
    assert proc.returncode == 0 and proc.stdout.startswith(f"{page}: data_science (") and "%)" in proc.stdout
    proc = run_module("jobclass.predict", str(tmp_path / "missing.html"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a classifier")
    with pytest.raises(UserError, match="not a readable classifier"):
        JobClassifier.load(junk)
    proc = run_module("jobclass.predict", str(page), "--classifier", str(junk))
    assert proc.returncode == 2 and "not a readable classifier" in proc.stderr
    empty = tmp_path / "empty.html"  # issue 39 #11: it was labelled "other (68%)" with exit 0
    empty.write_text("\n")
    proc = run_module("jobclass.predict", str(empty))
    assert proc.returncode == 2 and "is empty: there is no posting in it to label" in proc.stderr and not proc.stdout


def test_train_without_a_corpus_is_one_clear_line(tmp_path):
    proc = run_module("jobclass.train", "--corpus-dir", str(tmp_path / "none"), "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "manifest.jsonl not found" in proc.stderr and "Traceback" not in proc.stderr


def test_predict_labels_each_posting_of_a_file_and_warns_on_text_that_is_not_one(tmp_path):
    # Issue 28 #15: a file of five postings (charlm.sample -n 5) was one posting; "hello world" got a label silently.
    five = tmp_path / "five.html"
    titles = ["Data Scientist", "Software Engineer", "Data Analyst", "Data Scientist", "Product Manager"]
    five.write_text("\n".join(document(t, "Newco", "Boston, MA", DATA_SCIENCE_BODY) for t in titles))
    proc = run_module("jobclass.predict", str(five), "--agreement")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.split(":")[0] for ln in lines[:5]] == [f"{five}#{k}" for k in range(1, 6)]
    assert all("data_science (" in ln for ln in lines[:5])
    assert lines[5] == "body reads as its title's family: 2 of 5 titled postings (40%)"  # the two Data Scientists
    hello = tmp_path / "hello.txt"
    hello.write_text("hello world")
    proc = run_module("jobclass.predict", str(hello))
    assert proc.returncode == 0 and proc.stdout.startswith(f"{hello}: ")
    assert f"warning: {hello}: it is not a posting in the corpus format (no <html>)" in proc.stderr
