"""The scraper's errors. Each carries a message fit to print; none is meant to show a traceback."""

from dreamjobs.cli import UserError


class ScraperError(UserError):
    """Base of every error the scraper reports to the user."""


class FetchError(ScraperError):
    """A request failed for good: unreachable host, HTTP 4xx, retries used up."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL for our user agent."""


class ParseError(ScraperError):
    """A response or file is not in the shape its source expects (malformed JSON, no jobs list)."""
