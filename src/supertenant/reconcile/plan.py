"""A change is a value: printable, serialisable, sortable (PURE)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["create", "update", "delete"]
SYMBOLS: dict[str, str] = {"create": "+", "update": "~", "delete": "-"}


class Change(BaseModel):
    """One object supertenant would create, update or delete."""

    model_config = ConfigDict(frozen=True)

    action: Action
    kind: str
    key: str
    detail: dict[str, Any] = Field(default_factory=dict)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.detail.items())
        return f"{SYMBOLS[self.action]} {self.kind} {self.key}" + (f" ({extra})" if extra else "")
