from dreamjobs.corpus_format import document
from jobclass.dataset import body_text, read_examples


def test_the_body_leaves_out_the_frame_so_the_title_cannot_leak():
    page = document("Quantum Barista", "Acme &amp; Co", "Paris", "<p>Pour coffee &amp; smile.</p>")
    body = body_text(page)
    assert body == "Pour coffee & smile." and "Quantum" not in body and "Acme" not in body


def test_examples_carry_the_labels_of_their_titles_and_their_company(family_corpus):
    examples = read_examples(family_corpus)
    assert len(examples) == 90
    assert {e.level for e in examples} == {"mid", "senior"}
    nurse = next(e for e in examples if e.title == "Registered Nurse")
    assert nurse.family == "other" and nurse.level == "mid" and nurse.company.startswith("company 2-")
    assert {e.family for e in examples} == {"data_science", "software_engineering", "other"}


def test_a_cut_off_manifest_line_is_skipped(family_corpus, tmp_path):
    import shutil

    copy = tmp_path / "c"
    shutil.copytree(family_corpus, copy)
    with open(copy / "manifest.jsonl", "a") as fh:
        fh.write('{"file": "test-0-0-0.ht')
    assert len(read_examples(copy)) == 90
