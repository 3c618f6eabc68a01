"""The tenant spec models on plain values: defaults, derived names and every rule, with its location."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from supertenant.spec import (
    DEFAULT_PRIMARY_COLOR,
    BigQueryWarehouse,
    Branding,
    DuckDBWarehouse,
    Features,
    TemplateRef,
    TenantSpec,
    UserSpec,
)

DUCKDB: dict[str, Any] = {
    "engine": "duckdb",
    "path": "data/warehouse.duckdb",
    "schema": "acme",
    "account_ids": ["123-456-7890"],
}
BIGQUERY: dict[str, Any] = {
    "engine": "bigquery",
    "project": "my-gcp-project",
    "dataset": "tenant_acme",
    "account_ids": ["123-456-7890"],
}


def tenant(**overrides: Any) -> TenantSpec:
    """A valid minimal tenant with some keys replaced."""
    data: dict[str, Any] = {"slug": "acme", "name": "Acme Inc.", "warehouse": DUCKDB, **overrides}
    return TenantSpec.model_validate(data)


def errors_of(**overrides: Any) -> dict[tuple[str | int, ...], str]:
    """Location → message of every validation error of a tenant with these keys replaced."""
    with pytest.raises(ValidationError) as caught:
        tenant(**overrides)
    return {tuple(error["loc"]): error["msg"] for error in caught.value.errors()}


# --- defaults and helpers ---------------------------------------------------------------------


def test_defaults_apply_when_only_required_keys_are_given() -> None:
    spec = tenant()
    assert (spec.locale, spec.plan, spec.isolation) == ("en", "standard", "shared")
    assert spec.users == []
    assert spec.branding == Branding(primary_color=DEFAULT_PRIMARY_COLOR)
    assert spec.branding.app_name is None
    assert spec.branding.hostnames == []
    assert spec.features == Features(sql_lab=False, explore=True, chat=True, csv_export=True)
    assert not spec.features.alerts_reports
    assert [str(t) for t in spec.templates] == ["google_ads_overview@1", "getting_started@1"]


def test_names_are_derived_from_the_slug() -> None:
    spec = tenant(slug="sakura-shoes")
    assert spec.database_name == "sakura-shoes"
    assert spec.role_name("admin") == "sakura-shoes_admin"
    assert spec.role_names == {
        "admin": "sakura-shoes_admin",
        "editor": "sakura-shoes_editor",
        "viewer": "sakura-shoes_viewer",
    }


def test_models_are_frozen() -> None:
    spec = tenant()
    with pytest.raises(ValidationError, match="frozen"):
        spec.slug = "other"  # type: ignore[misc]


def test_dump_round_trips_and_uses_the_yaml_spelling() -> None:
    spec = tenant(users=[{"email": "a@acme.example", "role": "admin"}], templates=["kpi@3"])
    dumped = spec.model_dump()
    assert dumped["warehouse"]["schema"] == "acme"
    assert dumped["templates"] == ["kpi@3"]
    assert TenantSpec.model_validate(dumped) == spec
    assert TenantSpec.model_validate_json(spec.model_dump_json()) == spec


def test_duckdb_schema_is_read_from_the_yaml_key_or_the_attribute_name() -> None:
    by_alias = DuckDBWarehouse.model_validate(DUCKDB)
    by_name = DuckDBWarehouse(
        engine="duckdb", path="w.duckdb", schema_name="acme", account_ids=["123-456-7890"]
    )
    assert by_alias.schema_name == by_name.schema_name == "acme"


def test_template_refs_parse_and_print_as_name_at_version() -> None:
    ref = TemplateRef.model_validate("google_ads_overview@12")
    assert (ref.name, ref.version, str(ref)) == ("google_ads_overview", 12, "google_ads_overview@12")
    assert TemplateRef.model_validate({"name": "kpi", "version": 1}) == TemplateRef(name="kpi", version=1)


@pytest.mark.parametrize("text", ["overview", "overview@", "@1", "Overview@1", "overview@0", "over view@1"])
def test_template_refs_must_be_name_at_positive_version(text: str) -> None:
    with pytest.raises(ValidationError):
        TemplateRef.model_validate(text)


# --- users ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "first", "last"),
    [
        ("hanako.sato@sakura.example", "Hanako", "Sato"),
        ("analyst@sakura.example", "Analyst", "User"),
        ("jean-luc_picard+ads@x.example", "Jean", "Luc Picard Ads"),
    ],
)
def test_user_names_default_to_the_email_local_part(email: str, first: str, last: str) -> None:
    user = UserSpec.model_validate({"email": email, "role": "viewer"})
    assert (user.first_name, user.last_name) == (first, last)


def test_explicit_user_names_are_kept() -> None:
    user = UserSpec(email="admin@x.example", role="admin", first_name="花子", last_name="佐藤")
    assert (user.first_name, user.last_name) == ("花子", "佐藤")


def test_duplicate_emails_are_compared_case_insensitively() -> None:
    users = [
        {"email": "Ana@x.example", "role": "admin"},
        {"email": "bo@x.example", "role": "viewer"},
        {"email": "ana@X.example", "role": "viewer"},
    ]
    assert errors_of(users=users) == {
        ("users", 2, "email"): "duplicate email 'ana@X.example', already given as users[0]"
    }


@pytest.mark.parametrize(
    "email", ["nope", "a@b", "a@@b.example", "a b@x.example", ".a@x.example", "a@-x.example"]
)
def test_invalid_emails_are_rejected(email: str) -> None:
    errors = errors_of(users=[{"email": email, "role": "viewer"}])
    assert errors == {
        ("users", 0, "email"): f"Value error, must be an email address like ana@example.com, got {email!r}"
    }


def test_password_env_must_be_a_variable_name_and_is_never_echoed() -> None:
    errors = errors_of(users=[{"email": "a@x.example", "role": "viewer", "password_env": "hunter2!"}])
    message = errors[("users", 0, "password_env")]
    assert "environment variable name" in message
    assert "hunter2" not in message


# --- slug, account ids, warehouse -------------------------------------------------------------


@pytest.mark.parametrize("slug", ["ab", "sakura-shoes", "a1-b2-c3", "x" * 40])
def test_valid_slugs(slug: str) -> None:
    assert tenant(slug=slug).slug == slug


@pytest.mark.parametrize("slug", ["a", "-acme", "acme-", "Acme", "ac_me", "x" * 41, "acme shoes"])
def test_invalid_slugs(slug: str) -> None:
    assert set(errors_of(slug=slug)) == {("slug",)}


def test_account_ids_must_be_well_formed_non_empty_and_unique() -> None:
    ids = ["123-456-7890", "12-34", "123-456-7890", "123-456-7890"]
    errors = errors_of(warehouse={**DUCKDB, "account_ids": ids})
    assert errors == {
        ("warehouse", "duckdb", "account_ids", 1): "Value error, must look like 123-456-7890, got '12-34'",
        ("warehouse", "duckdb", "account_ids", 2): (
            "duplicate account id '123-456-7890', already given as account_ids[0]"
        ),
        ("warehouse", "duckdb", "account_ids", 3): (
            "duplicate account id '123-456-7890', already given as account_ids[0]"
        ),
    }
    assert set(errors_of(warehouse={**DUCKDB, "account_ids": []})) == {("warehouse", "duckdb", "account_ids")}


def test_bigquery_without_credentials_uses_application_default_credentials() -> None:
    warehouse = BigQueryWarehouse.model_validate(BIGQUERY)
    assert warehouse.uses_default_credentials
    assert not BigQueryWarehouse.model_validate(
        {**BIGQUERY, "credentials_file": "sa.json"}
    ).uses_default_credentials


@pytest.mark.parametrize(
    "secret", ["projects/my-proj/secrets/acme-sa", "projects/123456/secrets/acme_sa/versions/latest"]
)
def test_bigquery_secret_names(secret: str) -> None:
    assert (
        BigQueryWarehouse.model_validate({**BIGQUERY, "credentials_secret": secret}).credentials_secret
        == secret
    )


def test_bigquery_rejects_both_credentials_and_a_non_positive_byte_cap_together() -> None:
    warehouse = {
        **BIGQUERY,
        "credentials_file": "sa.json",
        "credentials_secret": "projects/p1/secrets/s",
        "maximum_bytes_billed": 0,
    }
    assert errors_of(warehouse=warehouse) == {
        (
            "warehouse",
            "bigquery",
            "maximum_bytes_billed",
        ): "Value error, must be a positive whole number, got 0",
        (
            "warehouse",
            "bigquery",
            "credentials_secret",
        ): "set credentials_file or credentials_secret, not both",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("project", "My_Project"),
        ("project", "abc"),
        ("dataset", "tenant-acme"),
        ("credentials_secret", "my-secret"),
        ("maximum_bytes_billed", -5),
        ("maximum_bytes_billed", "1000"),
    ],
)
def test_bigquery_invalid_values(key: str, value: object) -> None:
    assert set(errors_of(warehouse={**BIGQUERY, key: value})) == {("warehouse", "bigquery", key)}


# --- branding and features --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://acme.example/logo.svg", "http://cdn.example/a.png?v=2", "/static/assets/acme.png"]
)
def test_valid_logo_urls(url: str) -> None:
    assert Branding(logo_url=url).logo_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "must not be a javascript: URL"),
        (" JavaScript:alert(1)", "must not be a javascript: URL"),
        ("data:image/svg+xml;base64,AAAA", "must not be a data: URL"),
        ("ftp://acme.example/logo.png", "must be an http(s) URL or a path under /static/"),
        ("/static/../etc/passwd", "must be an http(s) URL or a path under /static/"),
        ("logo.png", "must be an http(s) URL or a path under /static/"),
    ],
)
def test_invalid_logo_urls(url: str, message: str) -> None:
    assert message in errors_of(branding={"logo_url": url})[("branding", "logo_url")]


def test_primary_color_is_stored_lower_case() -> None:
    assert Branding(primary_color="#D94F70").primary_color == "#d94f70"


@pytest.mark.parametrize("color", ["red", "#fff", "d94f70", "#d94f7g", None])
def test_invalid_primary_colors(color: object) -> None:
    assert set(errors_of(branding={"primary_color": color})) == {("branding", "primary_color")}


def test_hostnames_must_be_lower_case_valid_and_unique() -> None:
    hosts = ["a.example.com", "B.example.com", "bad_host.example", "a.example.com", "-x.example"]
    errors = errors_of(branding={"hostnames": hosts})
    assert set(errors) == {("branding", "hostnames", i) for i in (1, 2, 3, 4)}
    assert (
        errors[("branding", "hostnames", 3)]
        == "duplicate hostname 'a.example.com', already given as hostnames[0]"
    )
    assert "lower-case" in errors[("branding", "hostnames", 1)]


def test_unknown_feature_names_are_errors_that_name_the_key() -> None:
    assert set(errors_of(features={"sqllab": True})) == {("features", "sqllab")}


@pytest.mark.parametrize("value", ["yes", 1, "true", None])
def test_features_are_strict_booleans(value: object) -> None:
    assert set(errors_of(features={"chat": value})) == {("features", "chat")}


def test_duplicate_template_names_are_errors_even_with_other_versions() -> None:
    errors = errors_of(templates=["kpi@1", "overview@1", "kpi@2"])
    assert errors == {("templates", 2): "duplicate template 'kpi', already given as templates[0]"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 101),
        ("locale", "fr"),
        ("isolation", "private"),
        ("plan", ""),
    ],
)
def test_invalid_top_level_values(key: str, value: str) -> None:
    assert set(errors_of(**{key: value})) == {(key,)}


def test_dedicated_isolation_is_allowed() -> None:
    assert tenant(isolation="dedicated").isolation == "dedicated"
