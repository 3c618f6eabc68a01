"""The tenant spec as frozen pydantic models: the desired state of one tenant.

This module is pure (no I/O). It implements /work/shared/specs/tenant_spec.md: unknown keys,
wrong types and impossible combinations are validation errors. Checks that span several items
(duplicates, conflicting keys) raise pydantic errors located at the offending item or key, so the
loader can point at its YAML line, and they are reported together with every other error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]
"""A path into the spec, as pydantic reports it: ``("warehouse", "account_ids", 1)``."""

V = TypeVar("V")

Role = Literal["admin", "editor", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
Engine = Literal["duckdb", "bigquery"]
ENGINES: tuple[Engine, ...] = get_args(Engine)

DEFAULT_PRIMARY_COLOR = "#1a73e8"
DEFAULT_TEMPLATES = ("google_ads_overview@1", "getting_started@1")

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_ACCOUNT_ID = re.compile(r"\d{3}-\d{3}-\d{4}")
_GCP_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_BQ_DATASET = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,1023}")
_SECRET_NAME = re.compile(
    r"projects/[a-z0-9][a-z0-9-]{0,62}/secrets/[A-Za-z0-9_-]{1,255}(/versions/(latest|[1-9][0-9]*))?"
)
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_ENV_VAR = re.compile(r"[A-Z_][A-Z0-9_]*")
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
_TEMPLATE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TEMPLATE_REF = re.compile(r"(?P<name>[^@\s]+)@(?P<version>\d+)")


# --- errors at exact locations ---------------------------------------------------------------


def _error_at(loc: Loc, kind: str, message: str, value: Any) -> InitErrorDetails:
    """A pydantic line error at ``loc`` (relative to the validated value), so YAML lines can be found."""
    return InitErrorDetails(
        type=PydanticCustomError(kind, "{message}", {"message": message}), loc=loc, input=value
    )


def _raise_errors(title: str, errors: list[InitErrorDetails]) -> None:
    """Raise several located errors at once; pydantic merges them into the caller's ValidationError."""
    if errors:
        raise ValidationError.from_exception_data(title, errors)


def _validate_also_reporting(value: Any, handler: Callable[[Any], V], extra: list[InitErrorDetails]) -> V:
    """Run pydantic's own validation, then raise its errors together with ``extra`` (if any)."""
    try:
        result = handler(value)
    except ValidationError as exc:
        _raise_errors(exc.title, [*map(_reraisable, exc.errors()), *extra])
        raise
    _raise_errors("spec", extra)
    return result


def _reraisable(error: ErrorDetails) -> InitErrorDetails:
    """Turn a reported error back into one that can be raised again, keeping type, message and ctx."""
    ctx = {**error.get("ctx", {}), "message": error["msg"]}
    kind = PydanticCustomError(error["type"], "{message}", ctx)
    return InitErrorDetails(type=kind, loc=tuple(error["loc"]), input=error["input"])


def _field_of(item: Any, name: str) -> Any:
    """Read a field from raw input (a dict) or from an already-built model."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


@dataclass(frozen=True)
class _Unique:
    """A list validator reporting every repeated item, together with the items' own errors.

    Duplicates are found on the raw items (``key`` returns None for an item it cannot read), so a
    list with a malformed item and a repeated one reports both in one go.
    """

    key: Callable[[Any], str | None]
    what: str
    field: str
    sub: Loc = ()
    ignore_case: bool = False

    def __call__(self, items: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        duplicates = self.duplicates(items) if isinstance(items, list) else []
        return _validate_also_reporting(items, handler, duplicates)

    def duplicates(self, items: list[Any]) -> list[InitErrorDetails]:
        """One error per item whose key was already seen, naming the first occurrence."""
        first_seen: dict[str, int] = {}
        errors: list[InitErrorDetails] = []
        for index, item in enumerate(items):
            value = self.key(item)
            if value is None:
                continue
            first = first_seen.setdefault(value.casefold() if self.ignore_case else value, index)
            if first != index:
                message = f"duplicate {self.what} {value!r}, already given as {self.field}[{first}]"
                errors.append(_error_at((index, *self.sub), "duplicate", message, value))
        return errors


def _text(item: Any) -> str | None:
    """Duplicate key of a plain string item."""
    return item if isinstance(item, str) else None


# --- scalar types with human-readable messages ------------------------------------------------


def _matching(pattern: re.Pattern[str], expectation: str, *, echo: bool = True) -> AfterValidator:
    """Check a string against a pattern; the message says what is expected and what was given."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            got = f", got {value!r}" if echo else ""
            raise ValueError(f"{expectation}{got}")
        return value

    return AfterValidator(check)


def _not_blank(max_length: int) -> AfterValidator:
    """Reject empty or whitespace-only text and text longer than the target column allows."""

    def check(value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters, got {len(value)}")
        return value

    return AfterValidator(check)


def _hostname(value: str) -> str:
    """A lower-case DNS name: dot-separated labels of a-z, 0-9 and '-', at most 253 characters."""
    if value != value.lower():
        raise ValueError(f"must be lower-case, e.g. {value.lower()!r}, got {value!r}")
    labels = value.split(".")
    if len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"must be a DNS host name like analytics.example.com, got {value!r}")
    return value


def _logo_url(value: str) -> str:
    """Only http(s) URLs and Superset static paths: the value ends up in an <img src>."""
    scheme = value.strip().split(":", 1)[0].lower()
    if scheme in {"javascript", "data", "vbscript"}:
        raise ValueError(f"must not be a {scheme}: URL; use an http(s) URL or a path under /static/")
    if _HTTP_URL.fullmatch(value):
        return value
    if value.startswith("/static/") and ".." not in value.split("/") and not re.search(r"\s", value):
        return value
    raise ValueError(f"must be an http(s) URL or a path under /static/, got {value!r}")


def _hex_color(value: object) -> object:
    """Give the YAML trap its own message: an unquoted ``#d94f70`` is a comment, hence empty."""
    if value is None:
        raise ValueError('is empty; quote the colour, e.g. "#d94f70" (an unquoted # starts a YAML comment)')
    return value


def _lower(value: str) -> str:
    """Store colours in one spelling so plans do not flip between #ABCDEF and #abcdef."""
    return value.lower()


Slug = Annotated[
    str,
    _matching(_SLUG, "must be 2-40 characters of a-z, 0-9 and '-', not starting or ending with '-'"),
]
Identifier = Annotated[
    str, _matching(_IDENTIFIER, "must be a lower-case SQL identifier (a-z, 0-9, '_'; at most 63)")
]
AccountId = Annotated[str, _matching(_ACCOUNT_ID, "must look like 123-456-7890")]
AccountIds = Annotated[
    list[AccountId],
    Field(min_length=1),
    WrapValidator(_Unique(_text, "account id", "account_ids")),
]
Email = Annotated[
    str, Field(max_length=254), _matching(_EMAIL, "must be an email address like ana@example.com")
]
EnvVarName = Annotated[
    str,
    _matching(
        _ENV_VAR, "must be an environment variable name like ACME_PASSWORD (A-Z, 0-9, '_')", echo=False
    ),
]
Hostname = Annotated[str, AfterValidator(_hostname)]
HexColor = Annotated[
    str,
    BeforeValidator(_hex_color),
    _matching(_HEX_COLOR, 'must be a colour written as "#rrggbb"'),
    AfterValidator(_lower),
]
NonEmptyPath = Annotated[str, _not_blank(4096)]


class _Model(BaseModel):
    """Base of every spec model: unknown keys are errors and values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- warehouse --------------------------------------------------------------------------------


class DuckDBWarehouse(_Model):
    """A DuckDB file holding the contract views of this tenant in one schema.

    The YAML key is ``schema``; the attribute is ``schema_name`` because ``BaseModel.schema``
    already exists. ``path`` is kept as written; the caller decides what it is relative to.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    engine: Literal["duckdb"]
    path: NonEmptyPath
    schema_name: Identifier = Field(alias="schema")
    account_ids: AccountIds


def _positive(value: int) -> int:
    """Reject zero and negatives: a 0-byte cap fails every query, and versions start at 1."""
    if value <= 0:
        raise ValueError(f"must be a positive whole number, got {value}")
    return value


class BigQueryWarehouse(_Model):
    """A BigQuery dataset holding the contract views of this tenant.

    Credentials: ``credentials_file`` (a service-account JSON key file) or ``credentials_secret``
    (a Secret Manager resource name), never both. With neither, Application Default
    Credentials are used, i.e. workload identity on GKE/Cloud Run or ``gcloud auth``.
    """

    engine: Literal["bigquery"]
    project: Annotated[
        str, _matching(_GCP_PROJECT, "must be a GCP project id (6-30 characters: a-z, 0-9, '-')")
    ]
    dataset: Annotated[
        str, _matching(_BQ_DATASET, "must be a BigQuery dataset name (letters, digits, '_'; at most 1024)")
    ]
    credentials_file: NonEmptyPath | None = None
    credentials_secret: (
        Annotated[
            str,
            _matching(_SECRET_NAME, "must look like projects/<project>/secrets/<name>[/versions/<version>]"),
        ]
        | None
    ) = None
    maximum_bytes_billed: Annotated[StrictInt, AfterValidator(_positive)] | None = None
    account_ids: AccountIds

    @model_validator(mode="wrap")
    @classmethod
    def _one_credential_source(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Two credential sources would make it ambiguous which identity runs the queries."""
        conflict: list[InitErrorDetails] = []
        if (
            _field_of(data, "credentials_file") is not None
            and _field_of(data, "credentials_secret") is not None
        ):
            message = "set credentials_file or credentials_secret, not both"
            conflict.append(_error_at(("credentials_secret",), "conflict", message, None))
        return _validate_also_reporting(data, handler, conflict)

    @property
    def uses_default_credentials(self) -> bool:
        """True when neither credential key is set: workload identity / ADC is assumed."""
        return self.credentials_file is None and self.credentials_secret is None


Warehouse = Annotated[DuckDBWarehouse | BigQueryWarehouse, Field(discriminator="engine")]


# --- users ------------------------------------------------------------------------------------


def _names_from_email(email: str) -> tuple[str, str]:
    """Derive display names from ``hanako.sato@x`` → (Hanako, Sato); a single word gets last name 'User'."""
    parts = [p for p in re.split(r"[._+-]+", email.split("@", 1)[0]) if p]
    if not parts:
        return "User", "User"
    first = parts[0].capitalize()[:64]
    last = " ".join(p.capitalize() for p in parts[1:])[:64] or "User"
    return first, last


class UserSpec(_Model):
    """One Superset user who belongs to this tenant only.

    ``first_name``/``last_name`` default to names derived from the email's local part because
    Superset requires both. Without ``password_env``, apply generates a password and prints it once.
    """

    email: Email
    role: Role
    first_name: Annotated[str, _not_blank(64)] = ""
    last_name: Annotated[str, _not_blank(64)] = ""
    password_env: EnvVarName | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_names(cls, data: Any) -> Any:
        """Fill in missing names before validation so the frozen model never holds empty names."""
        if not isinstance(data, dict) or not isinstance(data.get("email"), str):
            return data
        first, last = _names_from_email(data["email"])
        filled = dict(data)
        if filled.get("first_name") is None:
            filled["first_name"] = first
        if filled.get("last_name") is None:
            filled["last_name"] = last
        return filled


# --- branding, features, templates ------------------------------------------------------------


class Branding(_Model):
    """How the tenant's Superset looks; ``app_name`` None means "use the tenant's name"."""

    app_name: Annotated[str, _not_blank(100)] | None = None
    logo_url: Annotated[str, AfterValidator(_logo_url)] | None = None
    primary_color: HexColor = DEFAULT_PRIMARY_COLOR
    hostnames: Annotated[list[Hostname], WrapValidator(_Unique(_text, "hostname", "hostnames"))] = Field(
        default_factory=list
    )


class Features(_Model):
    """Per-tenant switches. Strict booleans: ``"yes"`` or ``1`` are errors, not silently true."""

    sql_lab: StrictBool = False
    explore: StrictBool = True
    chat: StrictBool = True
    csv_export: StrictBool = True
    alerts_reports: StrictBool = False


class TemplateRef(_Model):
    """A dashboard template pinned to a version; written and serialised as ``name@version``."""

    name: Annotated[str, _matching(_TEMPLATE_NAME, "must be a template name like google_ads_overview")]
    version: Annotated[StrictInt, AfterValidator(_positive)]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        """Accept the ``name@version`` string form used in YAML."""
        if isinstance(data, str):
            match = _TEMPLATE_REF.fullmatch(data.strip())
            if match is None:
                raise ValueError(
                    f"must be written as name@version, e.g. 'google_ads_overview@1', got {data!r}"
                )
            return {"name": match["name"], "version": int(match["version"])}
        if isinstance(data, dict | BaseModel):
            return data
        raise ValueError(f"must be written as name@version, e.g. 'google_ads_overview@1', got {data!r}")

    @model_serializer
    def _as_string(self) -> str:
        """Serialise back to the form the YAML author wrote."""
        return str(self)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


def _email_of(user: Any) -> str | None:
    """Duplicate key of a raw user entry: its email (compared case-insensitively)."""
    return _text(_field_of(user, "email"))


def _template_name_of(template: Any) -> str | None:
    """Duplicate key of a raw template entry: its name, so two versions of one template conflict too."""
    if isinstance(template, str):
        return template.split("@", 1)[0].strip()
    return _text(_field_of(template, "name"))


def _default_templates() -> list[TemplateRef]:
    """The two dashboards every tenant gets unless the spec says otherwise."""
    return [TemplateRef.model_validate(ref) for ref in DEFAULT_TEMPLATES]


# --- the tenant -------------------------------------------------------------------------------


class TenantSpec(_Model):
    """One tenant, exactly as its YAML file declares it (see tenant_spec.md)."""

    slug: Slug
    name: Annotated[str, _not_blank(100)]
    locale: Literal["ja", "en"] = "en"
    plan: Annotated[str, _not_blank(100)] = "standard"
    isolation: Literal["shared", "dedicated"] = "shared"
    warehouse: Warehouse
    users: Annotated[
        list[UserSpec],
        WrapValidator(_Unique(_email_of, "email", "users", ("email",), ignore_case=True)),
    ] = Field(default_factory=list)
    branding: Branding = Field(default_factory=Branding)
    features: Features = Field(default_factory=Features)
    templates: Annotated[
        list[TemplateRef],
        WrapValidator(_Unique(_template_name_of, "template", "templates")),
    ] = Field(default_factory=_default_templates)

    @property
    def database_name(self) -> str:
        """Name of the tenant's Superset database connection."""
        return self.slug

    def role_name(self, role: Role) -> str:
        """Name of the tenant's Superset role for ``role``, e.g. ``sakura-shoes_admin``."""
        return f"{self.slug}_{role}"

    @property
    def role_names(self) -> dict[Role, str]:
        """All three role names of this tenant, keyed by role."""
        return {role: self.role_name(role) for role in ROLES}
