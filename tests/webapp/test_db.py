import pytest

from webapp import db
from webapp.errors import Refused


def add(title: str, checkpoint: str = "tiny:epoch001") -> int:
    return db.insert_posting(checkpoint_id=checkpoint, run="tiny", epoch=1, val_loss=1.0, temperature=0.8,
                             prime="<html>", length=100, seed=1, text=f"<h1>{title}</h1>", title=title,
                             company=None, location=None)


def test_pages_list_newest_first_and_count_every_posting(app):
    with app.app_context():
        ids = [add(f"Job {i}") for i in range(db.PER_PAGE + 3)]
        first = db.list_postings(None)
        assert first.total == db.PER_PAGE + 3 and first.pages == 2 and first.number == 1
        assert [r["id"] for r in first.rows] == ids[::-1][:db.PER_PAGE]
        second = db.list_postings("2")
        assert [r["id"] for r in second.rows] == ids[:3][::-1]
        assert db.list_postings("3").rows == []


def test_a_page_is_filtered_by_checkpoint_and_an_empty_gallery_has_one_page(app):
    with app.app_context():
        assert (db.list_postings(None).total, db.list_postings(None).pages) == (0, 1)
        add("A", "tiny:epoch001")
        add("B", "tiny:epoch002")
        page = db.list_postings("1", "tiny:epoch002")
        assert page.total == 1 and page.rows[0]["title"] == "B"


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "²", "abc", "", str(db.MAX_PAGE + 1)])
def test_a_page_number_that_is_not_a_whole_number_in_range_is_a_400(app, raw):
    with app.app_context(), pytest.raises(Refused) as exc:
        db.list_postings(raw)
    assert exc.value.status == 400 and "page must be a whole number" in exc.value.message


def test_a_missing_posting_is_a_404_for_reading_and_deleting_and_delete_removes_it(app):
    with app.app_context():
        pid = add("Keep me")
        assert db.get_posting(pid)["title"] == "Keep me"
        db.delete_posting(pid)
        for missing in (pid, 0, db.MAX_ID + 1):
            with pytest.raises(Refused) as exc:
                db.get_posting(missing)
            assert exc.value.status == 404 and f"no posting {missing}" in exc.value.message
            with pytest.raises(Refused):
                db.delete_posting(missing)


def test_a_gallery_from_before_badges_gains_the_column_and_its_postings_show_without_badges(tmp_path, checkpoints_dir):
    import sqlite3

    from webapp import create_app

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE posting (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL DEFAULT "
                    "'2026-01-01T00:00:00Z', checkpoint_id TEXT NOT NULL, run TEXT NOT NULL, epoch INTEGER, "
                    "val_loss REAL, temperature REAL NOT NULL, prime TEXT NOT NULL, length INTEGER NOT NULL, "
                    "seed INTEGER NOT NULL, text TEXT NOT NULL, title TEXT, company TEXT, location TEXT)")
        old.execute("INSERT INTO posting (checkpoint_id, run, temperature, prime, length, seed, text, title) "
                    "VALUES ('tiny:epoch001', 'tiny', 0.8, '<html>', 10, 1, '<h1>Old</h1>', 'Old')")
    client = create_app({"CHECKPOINTS": str(checkpoints_dir), "DATABASE": str(path)}).test_client()
    assert client.get("/api/postings/1").get_json()["badges"] is None
    assert client.get("/postings/1").status_code == 200 and "Old" in client.get("/gallery").get_data(True)
