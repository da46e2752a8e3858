"""Named recipes, one small TOML file each in charlm/recipes/, as nanoGPT keeps its configs:
`python -m charlm.train --recipe NAME` (options given beside it win), `--recipe list`.

A recipe holds a one-line description and training options under the command line's names
(rnn_size for --rnn-size); a family's defaults (models/families.py) fill in what it leaves out.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, from PyPI
    import tomli as tomllib

from ..errors import CharLMError
from .config import SHAPE, TrainConfig

FOLDER = Path(__file__).resolve().parent.parent / "recipes"
OPTIONS = ({f.name for f in fields(TrainConfig)} - {"model"}) | set(SHAPE)


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def read(name: str) -> tuple[str, dict]:
    """(description, options) of a recipe; CharLMError naming what is wrong."""
    path = FOLDER / f"{name}.toml"
    if name not in names():
        raise CharLMError(f"no recipe {name!r}; the recipes are {', '.join(names())} (--recipe list says what each is)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CharLMError(f"recipe {path} is not valid TOML: {exc}") from None
    description = data.pop("description", "")
    unknown = sorted(set(data) - OPTIONS)
    if unknown:
        raise CharLMError(f"recipe {path} sets {', '.join(unknown)}, which are no training options")
    return description, data


def listing() -> str:
    """One line a recipe, for --recipe list."""
    width = max(map(len, names()))
    return "\n".join(f"{name:<{width}}  {read(name)[0]}" for name in names())
