"""Turn pydantic validation errors into diagnostics located at the YAML node that caused them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import (
    BaseModel,
    RootModel,
    ValidationError,
)

from ..errors import Diagnostic
from ..load import Document, shown_value
from .schema import Countries, Marked

# --- turning pydantic errors into located diagnostics ------------------------------------------------


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{shown_value(part)}" if out else shown_value(part)
    return out


def _allowed_keys(model: type[BaseModel] | None) -> list[str]:
    """A model's keys as an analyst thinks of them: its own first, the shared `Marked` ones last."""
    if model is None:
        return []
    keys = list(model.model_fields)
    shared = [key for key in keys if key in Marked.model_fields and key != "text"]
    return [key for key in keys if key not in shared] + shared


def _model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that holds the last element of `loc` (for suggesting a misspelt key)."""
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, RootModel):
            current = current.model_fields["root"].annotation
            args = getattr(current, "__args__", ())
            current = args[-1] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _innermost_model(info.annotation)
    if isinstance(current, type) and issubclass(current, RootModel):
        args = getattr(current.model_fields["root"].annotation, "__args__", ())
        current = args[-1] if args else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _innermost_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _innermost_model(arg)
        if found is not None:
            return found
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None and metadata_origin is not annotation:
        return _innermost_model(metadata_origin)
    return None


def _diagnostics_from(exc: ValidationError, document: Document, model: type[BaseModel]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        where = _dotted(loc[:-1]) if loc else ""
        if kind == "missing":
            field_name = loc[-1]
            message = f"missing required key '{field_name}'" + (f" in {where}" if where else "")
            found.append(document.diagnostic(loc[:-1], message))
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(_model_at(model, loc[:-1]))
            hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = f"unknown key '{shown_value(key)}'" + (f" in {where}" if where else "")
            message += (
                f"; did you mean '{hint[0]}'?"
                if hint
                else (f"; expected one of: {', '.join(allowed)}" if allowed else "")
            )
            found.append(document.diagnostic(loc, message, key=True))
        elif kind == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            found.append(
                document.diagnostic(
                    loc, f"{_dotted(loc)}: '{shown_value(error['input'])}' is not one of {expected}"
                )
            )
        elif kind == "string_pattern_mismatch":
            is_key = "[key]" in loc
            loc = tuple(part for part in loc if part != "[key]")
            message = _pattern_message(loc, error["input"], country_key=is_key and model is Countries)
            found.append(document.diagnostic(loc, f"{_dotted(loc)}: {message}", key=is_key))
        else:
            message = error["msg"]
            message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if kind != "value_error" and isinstance(error.get("input"), str):
                message += f" (got '{shown_value(error['input'])}')"
            found.append(document.diagnostic(loc, f"{_dotted(loc)}: {message}" if loc else message))
    return found


def _pattern_message(loc: tuple[str | int, ...], value: Any, *, country_key: bool = False) -> str:
    last = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if last == "country" or country_key:
        return f"'{shown_value(value)}' is not an ISO 3166-1 alpha-2 code (two capital letters)"
    if last == "url":
        return f"'{shown_value(value)}' is not an http(s) URL"
    if last in ("language", "languages"):
        return f"'{shown_value(value)}' is not a BCP 47 language tag"
    return f"'{shown_value(value)}' must be lower-case letters, digits and single hyphens"


def _validate(document: Document, model: type[BaseModel], errors: list[Diagnostic]) -> Any:
    if not isinstance(document.data, dict):
        errors.append(document.diagnostic((), "expected a mapping of keys to values at the top level"))
        return None
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        errors.extend(_diagnostics_from(exc, document, model))
        return None
