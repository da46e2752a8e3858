"""The project's layers, read from the import statements of every module: a forbidden edge fails.

    dreamjobs         imports no other package of the project
    scraper, jobclass import dreamjobs only
    charlm            imports dreamjobs only; inside it:
        the floor     (models/, data, company_slot, checkpoint, runs, loss, copies, errors, profile, threads) imports the floor only
        training/     the floor and training/
        sampling/     the floor and sampling/
        quality/      the floor and quality/
        the CLIs and charlm/__init__.py may import any of them
    webapp            imports charlm's public API (the package itself, never a module of it),
                      jobclass's and dreamjobs
Size: no module over 300 lines and no function over 60, C files of the kernel included.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGES = ("dreamjobs", "scraper", "jobclass", "charlm", "webapp")
ROOMS = ("training", "sampling", "quality")
FLOOR = ("models", "data", "company_slot", "checkpoint", "runs", "loss", "copies", "errors", "profile", "threads")
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 60


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The project modules (and packages) a module imports, as absolute dotted names."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # "from . import x" names a module x; "from .m import y" names module m.
            found |= {f"{target}.{a.name}" for a in node.names} if not node.module else {target}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def part(module: str) -> str:
    """Where a charlm module sits: "floor", a room's name, or "top" (the CLIs and the package's API)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    if parts[1] in ROOMS:
        return parts[1]
    return "floor" if parts[1] in FLOOR else "top"


def forbidden(importer: str, imported: str) -> str | None:
    """Why the edge importer -> imported breaks a layer rule, or None."""
    src, dst = importer.split(".")[0], imported.split(".")[0]
    if dst == src and src != "charlm":
        return None
    allowed = {"dreamjobs": set(), "scraper": {"dreamjobs"}, "jobclass": {"dreamjobs"}, "charlm": {"dreamjobs"},
               "webapp": {"dreamjobs", "jobclass", "charlm"}}[src]
    if dst != src and dst not in allowed:
        return f"{src} may not import {dst}"
    if src == "webapp" and dst == "charlm" and imported != "charlm":
        return "webapp imports charlm's public API only (from charlm import ...)"
    if src == dst == "charlm":
        a, b = part(importer), part(imported)
        if a == "top" or b == a or b == "floor":
            return None
        return f"charlm's {a} may not import its {b}"
    return None


def test_no_module_imports_across_a_layer_it_may_not():
    broken = [f"{module_name(p)} -> {m}: {why}" for p in modules() for m in sorted(imports(p))
              if (why := forbidden(module_name(p), m))]
    assert broken == []


@pytest.mark.parametrize("importer, imported", [
    ("charlm.evaluate", "jobclass.model"), ("webapp.badges", "charlm.quality.metrics"),
    ("charlm.sampling.generator", "charlm.quality.metrics"), ("charlm.quality.copies", "charlm.sampling.copy_guard"),
    ("charlm.models.rnn", "charlm.training.config"), ("dreamjobs.cli", "charlm"), ("scraper.cli", "webapp")])
def test_the_rules_catch_the_edges_this_layout_removed(importer, imported):
    assert forbidden(importer, imported)


def test_relative_imports_resolve_to_the_modules_they_name():
    assert {"charlm.sampling.native", "charlm.copies", "charlm.sampling.batch"} <= imports(
        ROOT / "charlm" / "sampling" / "copy_guard.py") | imports(ROOT / "charlm" / "sampling" / "generator.py")


def c_functions(text: str) -> list[tuple[str, int]]:
    """(name, lines) of each top-level C function: from its opening line to its closing brace in column 0."""
    found, start, name = [], None, ""
    for i, line in enumerate(text.splitlines()):
        m = re.match(r"^(?!typedef|return)[a-zA-Z][\w \t*]*?\b(\w+)\(", line)
        one_line = line.rstrip().endswith("}") or line.rstrip().endswith(";")
        if m and start is None and not one_line:
            start, name = i, m.group(1)
        elif line.startswith("}") and start is not None:
            found.append((name, i - start + 1))
            start = None
    return found


def test_no_module_is_over_300_lines_and_no_function_over_60():
    long_modules, long_functions = [], []
    sources = modules() + sorted((ROOT / "charlm").rglob("*.[ch]"))
    for path in sources:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{rel}: {len(text.splitlines())}")
        if path.suffix == ".py":
            long_functions += [f"{rel}:{n.name}: {n.end_lineno - n.lineno + 1}" for n in ast.walk(ast.parse(text))
                               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                               and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
        else:
            long_functions += [f"{rel}:{name}: {n}" for name, n in c_functions(text) if n > MAX_FUNCTION_LINES]
    assert (long_modules, long_functions) == ([], [])
