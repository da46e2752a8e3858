"""One module per source, each behind the Source interface of base.py."""

from .ashby import AshbySource
from .base import ScraperInput, Source
from .csvfile import CsvSource
from .greenhouse import GreenhouseSource
from .jsonld import JsonLdSource
from .lever import LeverSource
from .themuse import MuseSource

SOURCES: dict[str, type[Source]] = {
    cls.name: cls for cls in (MuseSource, GreenhouseSource, LeverSource, AshbySource, JsonLdSource, CsvSource)
}

__all__ = ["SOURCES", "ScraperInput", "Source"]
