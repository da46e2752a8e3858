"""Errors the web app answers with a 4xx (or 503) and a message: JSON under /api, a page elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException


class Refused(Exception):
    """A request the app answers with an error status (400 unless said) and a message for the user."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class TryLater(Refused):
    """503 with Retry-After: every row and queue place of the model is taken."""

    def __init__(self, message: str, retry_after: int = 2):
        super().__init__(message, 503)
        self.retry_after = retry_after


def wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(message: str, status: int, headers: dict | None = None):
    body = jsonify(error=message) if wants_json() else render_template("error.html", message=message, status=status)
    resp = make_response(body, status)
    resp.headers.update(headers or {})
    return resp


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def refused(exc: Refused):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TryLater) else None
        return respond(exc.message, exc.status, headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = exc.description or exc.name
        if exc.code == 400 and wants_json():
            message = "the request body must be valid JSON"
        return respond(message, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        return respond("something went wrong on the server; the error was logged", 500)
