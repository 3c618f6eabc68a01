"""What a planner returns, and the one method every planner (offline rules, later an LLM) implements.

A planner only *chooses*: a chart template, its version and its parameters. It never writes Superset
JSON or SQL. Every `Plan` it returns has already passed `validate.validate_plan`, so the caller can
render and save it; a `Refusal` or a `Clarify` never becomes a chart.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from supertenant.chat.vocabulary import TenantVocabulary


class Plan(BaseModel):
    """A chart to make: template name and version, and its validated parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["plan"] = "plan"
    template: str
    version: int = Field(ge=1)
    params: dict[str, Any]
    title: str | None = Field(default=None, description="The chart name the template generates.")
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    def to_json(self) -> dict[str, Any]:
        """The CLI / service shape: template, version and params only."""
        return {"template": self.template, "version": self.version, "params": self.params}


class Refusal(BaseModel):
    """The request is outside what this tenant may chart; `reason` is shown to the user as is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["refusal"] = "refusal"
    code: str = Field(description="Machine-readable class, e.g. unknown_metric, sql, prompt_injection.")
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"refusal": self.reason, "code": self.code}


class Clarify(BaseModel):
    """The request could mean several things, or part of it was not understood: ask."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["clarify"] = "clarify"
    code: str
    question: str
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"clarify": self.question, "code": self.code, "options": list(self.options)}


PlanResult = Plan | Refusal | Clarify


class Planner(Protocol):
    """Turns a user's sentence into a validated plan, a refusal or a clarifying question."""

    def plan(self, text: str, tenant: TenantVocabulary, today: date) -> PlanResult:
        """`today` is passed in (not read from the clock) so that relative dates are reproducible."""
        ...
