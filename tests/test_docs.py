"""The docs a newcomer reads: the README is short, every relative link resolves, every flag a
documented command shows exists in that command's --help, and nothing points outside the repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, run_modules

PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS = [p for p in PAGES if p.name != "BENCHMARKS.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
OURS = ("scraper", "charlm", "webapp", "jobclass")
COMMAND = re.compile(r"python -m ((?:%s)(?:\.\w+)?)((?:[^`\n]|\\\n)*)" % "|".join(OURS))
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation out, spaces to hyphens."""
    found = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


def test_the_readme_is_read_in_ten_minutes_and_docs_has_the_rest():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300
    assert len(list((ROOT / "docs").glob("*.md"))) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_in_the_docs_depends_on_files_outside_the_repo(page):
    assert "../shared" not in page.read_text()


def help_texts(modules: set[str]) -> dict[str, str]:
    """Each command's --help, the commands run side by side (each imports torch: seconds apiece)."""
    procs = dict(zip(modules, run_modules([(m, ["--help"]) for m in modules])))
    for module, proc in procs.items():
        assert proc.returncode == 0, f"python -m {module} --help: {proc.stderr}"
    return {module: proc.stdout for module, proc in procs.items()}


def documented_flags() -> list[tuple[str, str, str]]:
    """(page, module, flag) of every flag a `python -m <ours>` command in the docs shows."""
    found = set()
    for page in PAGES:
        for module, rest in COMMAND.findall(page.read_text()):
            for flag in FLAG.findall(rest.split(" | ")[0].split(" > ")[0]):
                found.add((page.relative_to(ROOT).as_posix(), module, flag))
    return sorted(found)


def test_every_documented_flag_is_in_its_commands_help():
    flags = documented_flags()
    assert len(flags) > 50  # the pattern finds the docs' commands
    helps = help_texts({module for _, module, _ in flags})
    missing = [f"{page}: python -m {module} {flag}" for page, module, flag in flags if flag not in helps[module]]
    assert missing == []
