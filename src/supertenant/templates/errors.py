"""The one error templates raise: a code a program can branch on, a message and suggestions.

The chat path turns a `TemplateError` into a refusal or a clarifying question, so every error names
what was not understood (`field`, `message`) and what would work instead (`suggestions`). Pydantic
validation errors of a template's `Params` are converted here, all of them at once, never swallowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from supertenant.errors import PermanentError

# Pydantic's own error types → our codes. Custom errors raised by our validators already carry a code.
_CODES = {
    "extra_forbidden": "unknown_parameter",
    "missing": "missing_parameter",
    "less_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "too_long": "out_of_range",
    "too_short": "out_of_range",
}


class TemplateError(PermanentError):
    """A template, its parameters or the tenant's datasets do not allow the requested chart."""

    def __init__(
        self, code: str, message: str, suggestions: Iterable[str] = (), *, field: str | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.suggestions: tuple[str, ...] = tuple(dict.fromkeys(suggestions))
        self.field = field
        hint = f" (try: {', '.join(self.suggestions[:10])})" if self.suggestions else ""
        super().__init__(f"{message}{hint}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the chat service and the CLI."""
        return {
            "code": self.code,
            "message": self.message,
            "suggestions": list(self.suggestions),
            "field": self.field,
        }

    @classmethod
    def from_validation(cls, exc: ValidationError, *, template: str, model: type[BaseModel]) -> TemplateError:
        """One error listing every pydantic problem of `template`'s parameters, with suggestions."""
        problems = [_problem(error, model) for error in exc.errors()]
        codes = {code for code, _, _, _ in problems}
        code = codes.pop() if len(codes) == 1 else "invalid_params"
        lines = [f"{where}: {message}" if where else message for _, where, message, _ in problems]
        fields = {where for _, where, _, _ in problems}
        return cls(
            code,
            f"invalid parameters for template {template}: " + "; ".join(lines),
            [suggestion for _, _, _, suggestions in problems for suggestion in suggestions],
            field=fields.pop() if len(fields) == 1 else None,
        )


def _problem(error: Any, model: type[BaseModel]) -> tuple[str, str, str, Sequence[str]]:
    """(code, field path, message, suggestions) for one pydantic error dict."""
    kind: str = error["type"]
    where = ".".join(str(part) for part in error["loc"])
    context: dict[str, Any] = error.get("ctx") or {}
    code = _CODES.get(kind, kind if "suggestions" in context else "invalid_params")
    suggestions: list[str] = [str(s) for s in context.get("suggestions", ())]
    message: str = error["msg"]
    if kind == "extra_forbidden":
        message = f"unknown parameter {where!r}"
        suggestions = list(model.model_fields)
    elif kind == "missing":
        message = f"parameter {where!r} is required"
    elif "le" in context or "lt" in context:
        suggestions = [f"at most {context.get('le', context.get('lt'))}"]
    elif "ge" in context or "gt" in context:
        suggestions = [f"at least {context.get('ge', context.get('gt'))}"]
    elif "max_length" in context:
        suggestions = [f"at most {context['max_length']} item(s)"]
    elif "min_length" in context:
        suggestions = [f"at least {context['min_length']} item(s)"]
    return code, where, message, suggestions
