"""One exception tree for supertenant.

    SupertenantError
    ├── PermanentError            retrying will not help; fix the input or the setup
    │   ├── ConfigError           a setting is missing, weak or malformed
    │   ├── SpecError             a tenant spec is invalid (carries every reason, with file:line)
    │   ├── ContractError         a warehouse does not satisfy the dataset contract
    │   ├── NotFoundError         an object we expected is absent
    │   └── OwnershipError        an object exists but supertenant does not own it
    └── TemporaryError            the same call may succeed later (network, 5xx, lock)

Every message names what is wrong and never contains a secret value.
"""

from __future__ import annotations

from collections.abc import Sequence


class SupertenantError(Exception):
    """Base of every error supertenant raises on purpose."""


class PermanentError(SupertenantError):
    """Retrying will not help: the input or the setup must change."""


class TemporaryError(SupertenantError):
    """The same call may succeed later."""


class ConfigError(PermanentError):
    """A setting is missing, weak or malformed. The message names the setting."""


class NotFoundError(PermanentError):
    """An object we expected does not exist."""


class OwnershipError(PermanentError):
    """An object exists but supertenant did not create it, so it will not touch it."""


class SupersetAPIError(PermanentError):
    """Superset refused a request with a 4xx status."""

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"{method} {path} → {status}: {detail}")
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail


class ReasonsError(PermanentError):
    """An error that lists every reason at once instead of stopping at the first."""

    heading = "invalid input"

    def __init__(self, reasons: Sequence[str], *, source: str = "") -> None:
        self.reasons = list(reasons)
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(f"{self.heading}{where} ({len(self.reasons)} problem(s)):\n{lines}")


class SpecError(ReasonsError):
    """A tenant spec is invalid; every reason names file, line and key."""

    heading = "invalid tenant spec"


class ContractError(ReasonsError):
    """A warehouse does not satisfy the dataset contract; names every gap."""

    heading = "warehouse does not satisfy the dataset contract"
