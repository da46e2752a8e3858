"""The package as a user installs it: a wheel (not editable) in a fresh venv, sampling from
another folder through the C kernel built from the wheel's own sources."""

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

DEMO = ROOT / "checkpoints" / "demo" / "best.pt"
SAMPLE = """
import charlm, sys
from charlm import Generator
gen = Generator.from_checkpoint(sys.argv[1])
text = gen.sample(seed=1, max_length=40)
print(gen.backend, charlm.__file__)
print(text)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, timeout=300, capture_output=True)
    return next(out.glob("dreamjobs-*.whl"))


def test_the_wheel_carries_every_kernel_source_and_header(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    here = ROOT / "charlm" / "sampling" / "native"
    for source in [*here.glob("*.c"), *here.glob("*.h")]:
        assert f"charlm/sampling/native/{source.name}" in names, source.name
    assert "webapp/schema.sql" in names and "webapp/templates/about.html" in names
    assert "charlm/recipes/transformer-cpu.toml" in names
    # Only the project's own names at the top of site-packages: no generic package such as "common".
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))} == {
        "dreamjobs", "scraper", "charlm", "jobclass", "webapp"}


@pytest.mark.skipif(not DEMO.exists(), reason="the shipped demo checkpoint is not in this checkout")
def test_a_fresh_venv_with_the_wheel_samples_through_the_kernel_from_any_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    # The dependencies (torch, flask, ...) come from this environment; the project itself only from the wheel.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), DREAMJOBS_DATA=str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([str(python), "-c", SAMPLE, str(DEMO)], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    backend, where = done.stdout.splitlines()[0].split()
    assert backend == "native" and where.startswith(site), done.stdout
    assert done.stdout.splitlines()[1].startswith("<html>")
    assert list((tmp_path / "cache" / "dreamjobs" / "native").glob("*/sampler.so"))  # built from the wheel's sources
    app = subprocess.run([str(python), "-c", "from webapp import create_app; print(create_app().config['DATABASE'])"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert app.returncode == 0, app.stderr
    assert app.stdout.strip() == str(tmp_path / "data" / "gallery.sqlite")  # never inside site-packages


def test_make_demo_installs_what_the_gallery_needs_and_not_the_test_tools():
    # Issue 39 #12: `make demo` installed pytest, selenium and trio.
    demo = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    test = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "pip install -e ." in demo.stdout and ".[test]" not in demo.stdout
    assert '.[test]' in test.stdout and "pytest" in test.stdout
