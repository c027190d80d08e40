"""The one rule for what a request may carry, checked before any view runs.

Every body parser and every place that turns text into a number goes through here:

- JSON nested deeper than MAX_DEPTH is refused before it is parsed (the depth is
  counted in one pass over the text, so no parser recursion is ever reached);
- lone surrogates ("\\ud800") in JSON strings, form values and query arguments are
  refused: no database can store them; so is a NUL in the query, and a path with one is
  not found (PostgreSQL stores no NUL; in bodies each form and service refuses it);
- a file part in a form is refused: no form of the service takes files;
- integers out of the database's range are refused where they are read: in paths (the
  `int` converter matches no number above DB_INT_MAX: 404), from query arguments and forms
  (`.get(..., type=int)`: 400).

Each refusal is a 400 with a readable message: a page, or {"error": …} for the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter, PathConverter

# Deepest nesting of arrays and objects a JSON body may have; real ones have 2 or 3.
MAX_DEPTH = 32
# The largest number an id or count column holds on both databases: the models use
# INTEGER, which is 32 bits on PostgreSQL (SQLite's holds 64).
DB_INT_MAX = 2**31 - 1


def _pattern_at_most(limit: int) -> str:
    """A regular expression matching the decimal numbers 0..limit (leading zeros only
    below limit's length), so a route converter can refuse larger ones by not matching."""
    digits = str(limit)
    options = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        rest = len(digits) - i - 1
        last = rest == 0
        top = int(digit) if last else int(digit) - 1
        low = 1 if i == 0 and len(digits) > 1 else 0
        if top >= low:
            options.append(f"{digits[:i]}[{low}-{top}]" + (rf"\d{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(options) + ")"


JSON_MIMETYPE_SUFFIX = "+json"
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")

T = TypeVar("T")


def _not_utf8() -> str:
    # A lone surrogate cannot be written as UTF-8: the message for invalid UTF-8.
    return str(_("The request contained text that is not valid UTF-8."))


class InputRefused(BadRequest):
    """A request the input rule refuses; the description is the reader's message."""


class JSONTooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""


class LoneSurrogate(ValueError):
    """Text with a lone UTF-16 surrogate, which is not a character."""


def too_deep(raw: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether raw (JSON text) nests arrays and objects deeper than limit, found without
    parsing it: one pass, no recursion, and brackets inside strings do not count."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the usual case, counted in C
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value: Any) -> Iterable[str]:
    """Every string in a parsed JSON value, keys included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(raw: bytes | str, **kwargs: Any) -> Any:
    """json.loads with the rule: bounded depth, no lone surrogates.

    :raises JSONTooDeep, LoneSurrogate, json.JSONDecodeError, UnicodeDecodeError:
        all ValueErrors.
    """
    if too_deep(raw):
        raise JSONTooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    value = json.loads(text, **kwargs)
    if any(has_lone_surrogate(s) for s in _strings(value)):
        raise LoneSurrogate("JSON text with a lone surrogate")
    return value


class JSONProvider(DefaultJSONProvider):
    """app.json: request.get_json() and flask.json.loads() parse with the rule."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


def _bounded_int(value: str) -> int:
    number = int(value)
    if abs(number) > DB_INT_MAX:
        raise InputRefused(_("A number in the request is too large."))
    return number


class Parameters(ImmutableMultiDict[str, str]):
    """request.args and request.form: .get(name, type=int) never yields a number the
    database cannot store (it refuses the request instead)."""

    def get(  # type: ignore[override]
        self, key: str, default: Any = None, type: Callable[[str], T] | None = None
    ) -> Any:
        if key not in self:  # (MultiDict.get would raise and catch a KeyError to know)
            return default
        return super().get(key, default, _bounded_int if type is int else type)  # type: ignore[arg-type]

    def getlist(self, key: str, type: Callable[[str], T] | None = None) -> Any:
        return super().getlist(key, _bounded_int if type is int else type)  # type: ignore[arg-type]


class InputRequest(Request):
    parameter_storage_class = Parameters


class BoundedIntegerConverter(IntegerConverter):
    """<int:…> in a route matches no number above DB_INT_MAX, so every number it yields
    fits the database; a longer one matches no route (404). (A `max` would answer 405 instead:
    Werkzeug counts a rule whose pattern matched as a match for the method check.)"""

    regex = _pattern_at_most(DB_INT_MAX)


class ThreadKeyConverter(PathConverter):
    """<thread_key:…>: a thread key as a site's snippet gives it, slashes and all. Unlike
    <path:…> it may start with a slash, as an article's path ("/2024/05/story/") does."""

    regex = ".+?"
    # Werkzeug guesses from the pattern (no "/" in it) that it matches one path segment.
    part_isolating = False


def _is_json() -> bool:
    mimetype = request.mimetype
    return mimetype == "application/json" or mimetype.endswith(JSON_MIMETYPE_SUFFIX)


def refuse_bad_input() -> None:
    """Apply the rule to the request before any view (and before the CSRF check) reads it.

    :raises InputRefused: answered with a 400 page or {"error": …}.
    """
    # The path and query are looked up in the database as they are, and PostgreSQL
    # stores no NUL: a path with one names nothing, a query with one is refused.
    if "\x00" in request.path:
        raise NotFound
    query = [text for item in request.args.items(multi=True) for text in item]
    if any("\x00" in text for text in query):
        raise InputRefused(_("The address contains characters that cannot be used."))
    if any(has_lone_surrogate(text) for text in [request.path, *query]):
        raise InputRefused(_not_utf8())
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if request.files:
            raise InputRefused(_("This form does not take files."))
        for key, value in request.form.items(multi=True):
            if has_lone_surrogate(key) or has_lone_surrogate(value):
                raise InputRefused(_not_utf8())
    elif _is_json():
        raw = request.get_data(cache=True)
        if too_deep(raw):
            raise InputRefused(
                _("The JSON sent is nested more than %(n)d levels deep.", n=MAX_DEPTH)
            )
        try:
            value = json.loads(raw)
        except ValueError:
            return  # not JSON: each view says what it expected
        if any(has_lone_surrogate(s) for s in _strings(value)):
            raise InputRefused(_not_utf8())


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes read the `int` converter when added."""
    app.request_class = InputRequest
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["thread_key"] = ThreadKeyConverter
    # A thread key that is an article's path makes "/embed/site/t//2024/…": it must reach
    # that thread, not be redirected to the merged path, which names another key.
    app.url_map.merge_slashes = False
    app.before_request(refuse_bad_input)
