"""Shared fixtures: small corpora that look like the scraper's output, and tiny trained runs."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from dreamjobs.corpus_format import CHILDREN, VOID_TAGS

# `make test` runs the suite on pytest-xdist's workers, one per core. Each worker (and what it
# starts) then gets its share of the cores: torch's threads spin while they wait, so two
# workers of two threads each on two cores would wait on each other at every step.
if os.environ.get("PYTEST_XDIST_WORKER") and "OMP_NUM_THREADS" not in os.environ:
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    os.environ["OMP_NUM_THREADS"] = str(max(1, _cores // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO = ROOT / "checkpoints" / "demo" / "best.pt"
DEMO_TRANSFORMER = ROOT / "checkpoints" / "demo-transformer" / "best.pt"

TITLES = ["Data Scientist", "Software Engineer", "Product Manager", "UX Designer", "Data Analyst"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
CITIES = ["Seattle, WA", "New York, NY", "Chicago, IL", "San Francisco, CA"]
DUTIES = ["Build models", "Ship features", "Write SQL", "Talk to users", "Design experiments", "Review code"]


def posting(title: str, company: str, city: str, paragraph: str, items: list[str]) -> str:
    """One posting in the corpus frame of ../shared/DESIGN.md."""
    lis = "".join(f"<li>{i}</li>" for i in items)
    return (
        f"<html>\n<head><title>{title} - {company} - {city}</title></head>\n<body>\n"
        f"<h1>{title}</h1>\n<h2>{company}</h2>\n<h3>{city}</h3>\n"
        f"<p>{paragraph}</p>\n<ul>{lis}</ul>\n</body>\n</html>\n"
    )


def opened_where_the_corpus_never_does(text: str) -> list[str]:
    """Elements opened inside one the corpus never opens them in (corpus_format.CHILDREN), as
    "parent>child": an independent little parser."""
    stack, odd = [], []
    for closing, name in re.findall(r"<(/?)([a-z][a-z0-9]*)>", text.lower()):
        if closing:
            if stack and stack[-1] == name:
                stack.pop()
            continue
        parent = stack[-1] if stack else ""
        if name not in CHILDREN.get(parent, ()):
            odd.append(f"{parent}>{name}")
        if name not in VOID_TAGS:  # an element with no end tag holds nothing
            stack.append(name)
    return odd


def make_corpus(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        t, c, l = rng.choice(TITLES), rng.choice(COMPANIES), rng.choice(CITIES)
        para = f"{c} is hiring a {t.lower()} in {l.split(',')[0]} to work on problems that matter."
        docs.append(posting(t, c, l, para, rng.sample(DUTIES, 3)))
    return "".join(docs)


REPEATED_POSTING = posting("Data Scientist", "Acme", "Seattle, WA",
                           "Join our team to build models that matter.", ["Python", "SQL"])


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(make_corpus(60))
    return path


# Options that make a run take about a second on a laptop CPU.
TINY = ["--rnn-size", "32", "--num-layers", "2", "--batch-size", "8", "--seq-length", "32",
        "--log-every", "5"]
# The transformer family at the same toy size: 2 blocks of 32, 2 heads, a window of 32.
TINY_TRANSFORMER = ["--model", "transformer", "--rnn-size", "32", "--num-layers", "2", "--n-head", "2",
                    "--block-size", "32", "--batch-size", "8", "--log-every", "5", "--warmup-steps", "5"]


@pytest.fixture(scope="session")
def tiny_transformer_run(tmp_path_factory) -> Path:
    """A finished 3-epoch run of a tiny transformer with its header in view on the small corpus;
    treat it as read-only."""
    from charlm.train import main

    base = tmp_path_factory.mktemp("tiny-transformer")
    data = base / "small.txt"
    data.write_text(make_corpus(60))
    assert main(["--data", str(data), "--checkpoint-dir", str(base / "ckpt"), "--run-name", "tt",
                 "--max-epochs", "3", *TINY_TRANSFORMER, "--block-size", "64", "--header-slots", "64",
                 "--learning-rate", "3e-3"]) == 0
    return base / "ckpt" / "tt"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A finished 3-epoch run of a tiny LSTM on the small corpus; treat it as read-only.

    Its val loss ends near 0.75 nats/char: good enough that greedy decoding writes tags,
    so sampling tests see a model with real preferences rather than near-ties.
    """
    from charlm.train import main

    base = tmp_path_factory.mktemp("tiny")
    data = base / "small.txt"
    data.write_text(make_corpus(60))
    assert main(["--data", str(data), "--checkpoint-dir", str(base / "ckpt"), "--run-name", "tiny",
                 "--max-epochs", "3", *TINY, "--rnn-size", "48", "--learning-rate", "0.01"]) == 0
    return base / "ckpt" / "tiny"


@pytest.fixture(scope="session")
def tiny_slot_run(tmp_path_factory) -> Path:
    """A finished 3-epoch run of the tiny LSTM trained with --company-slot: every body opens
    "COMPANY is hiring", which it learned as the slot; treat it as read-only."""
    from charlm.train import main

    base = tmp_path_factory.mktemp("tiny-slot")
    data = base / "small.txt"
    data.write_text(make_corpus(60))
    assert main(["--data", str(data), "--checkpoint-dir", str(base / "ckpt"), "--run-name", "slot",
                 "--max-epochs", "3", *TINY, "--rnn-size", "48", "--learning-rate", "0.01", "--company-slot"]) == 0
    return base / "ckpt" / "slot"


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: float = 600,
               **kw) -> subprocess.CompletedProcess:
    """Run `python -m module args` the way a user would, capturing its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, **kw)


def run_modules(calls: list[tuple[str, list[str]]]) -> list[subprocess.CompletedProcess]:
    """run_module for each (module, args), two at a time: each spends seconds importing torch."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda call: run_module(call[0], *call[1]), calls))


# -- scraper fixtures ---------------------------------------------------------------------------

@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real job-posting data not found at {SHARED_DATA} (the ../shared checkout)")
    return SHARED_DATA


def muse_result(i: int, title: str = "Data Scientist", city: str = "Seattle, WA",
                company: str = "Acme") -> dict:
    """A results object in the shape The Muse API returns (see ../shared/data/themuse/)."""
    return {
        "contents": f"<p>{company} is hiring posting number {i}.</p><ul><li>Python {i}</li><li>SQL</li></ul>",
        "name": title, "type": "external", "publication_date": "2025-08-08T04:03:07Z",
        "short_name": f"job-{i}", "model_type": "jobs", "id": 1000 + i,
        "locations": [{"name": city}], "categories": [{"name": "Data Science"}],
        "levels": [{"name": "Mid Level", "short_name": "mid"}], "tags": [],
        "refs": {"landing_page": f"https://www.themuse.com/jobs/{company.lower()}/job-{i}"},
        "company": {"id": 7, "short_name": company.lower(), "name": company},
    }


def muse_pages(results: list[dict], per_page: int = 20) -> list[dict]:
    pages = [results[i:i + per_page] for i in range(0, len(results), per_page)] or [[]]
    return [{"page": n, "page_count": len(pages), "items_per_page": per_page, "took": 5, "timed_out": False,
             "total": len(results), "results": page} for n, page in enumerate(pages)]


@pytest.fixture
def site(httpserver):
    """The local HTTP server with a robots.txt that allows all but /private/."""
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    return httpserver


# -- webapp fixtures ----------------------------------------------------------------------------

@pytest.fixture
def checkpoints_dir(tiny_run, tmp_path) -> Path:
    """A checkpoints folder holding the tiny run (as "tiny") and nothing else."""
    import shutil

    root = tmp_path / "checkpoints"
    shutil.copytree(tiny_run, root / "tiny", symlinks=True)
    return root


@pytest.fixture
def app(checkpoints_dir, tmp_path):
    from webapp import create_app

    return create_app({"TESTING": True, "CHECKPOINTS": str(checkpoints_dir),
                       "DATABASE": str(tmp_path / "instance" / "gallery.sqlite"), "BATCH_ROWS": 4, "QUEUE_SIZE": 4})


@pytest.fixture
def client(app):
    return app.test_client()


@contextmanager
def serving(app):
    """The app on a real HTTP server at 127.0.0.1 (a free port) while the block runs."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    with serving(app) as base:
        yield base


def sse_events(body: str) -> list[tuple[str, dict]]:
    import json

    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture(scope="session")
def demo():
    """The shipped 3x512 demo model's sampler (read-only)."""
    from charlm import Generator

    if not DEMO.exists():
        pytest.skip("the shipped demo checkpoint is missing")
    return Generator.from_checkpoint(DEMO)


# Bodies of three kinds of job, as real postings word them: what the job classifier tests learn from.
FAMILY_BODIES = {
    "Data Scientist": ["Build statistical models and machine learning pipelines in Python",
                       "Design A/B experiments and causal inference studies", "Regression, forecasting and NLP",
                       "PhD in statistics or a quantitative field", "Present model results to stakeholders"],
    "Software Engineer": ["Design and ship backend services in Java and Go", "Write unit tests and review code",
                          "Own our CI/CD pipelines and Kubernetes deployments", "Build REST APIs and microservices",
                          "Debug production incidents and improve reliability"],
    "Registered Nurse": ["Provide direct patient care on a medical surgical unit", "Administer medications",
                         "Valid RN license and BLS certification", "Chart patient assessments",
                         "Collaborate with physicians and families on care plans"],
}
DATA_SCIENCE_BODY = ("<p>We are looking for someone to build statistical models and machine learning pipelines "
                     "in Python, design A/B experiments and run causal inference studies.</p>\n"
                     "<ul>\n<li>Regression, forecasting and NLP</li>\n<li>PhD in statistics or a quantitative "
                     "field</li>\n</ul>")


@pytest.fixture(scope="session")
def family_corpus(tmp_path_factory) -> Path:
    """A corpus folder (pages/ and manifest.jsonl, as the scraper writes them) of 90 postings in three
    families, each company hiring for one family only, 6 postings each."""
    import json

    from dreamjobs.corpus_format import document

    root = tmp_path_factory.mktemp("family-corpus")
    (root / "pages").mkdir()
    rng = random.Random(3)
    lines = []
    for f, (title, duties) in enumerate(FAMILY_BODIES.items()):
        for c in range(5):
            company = f"Company {f}-{c}"
            for k in range(6):
                body = f"<p>{company} is growing.</p>\n<ul>\n" + "".join(
                    f"<li>{d}</li>\n" for d in rng.sample(duties, 4)) + "</ul>"
                name = f"test-{f}-{c}-{k}.html"
                titled = f"Senior {title}" if k % 2 else title
                (root / "pages" / name).write_text(document(titled, company, "Seattle, WA", body))
                lines.append(json.dumps({"file": name, "title": titled, "company": company}))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return root
