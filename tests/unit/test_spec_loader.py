"""Loading tenant specs from YAML: every problem is reported at once as FILE:LINE: key: message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from supertenant.errors import SpecError
from supertenant.spec import TenantSpec, load_spec, load_specs, parse_spec

# The full example of /work/shared/specs/tenant_spec.md, verbatim (comments included).
FULL_EXAMPLE = """\
slug: sakura-shoes            # [a-z0-9-]{2,40}; immutable; prefixes every object
name: さくらシューズ株式会社     # display name
locale: ja                    # ja | en — default UI language, template labels
plan: standard                # billing plan name (see billing; free-form here)
isolation: shared             # shared | dedicated (phase 2: own Superset instance)

warehouse:
  engine: duckdb              # duckdb | bigquery
  # duckdb:
  path: data/warehouse.duckdb # file holding the contract views
  schema: sakura_shoes        # schema that holds this tenant's contract views
  # bigquery:
  # project: my-gcp-project
  # dataset: tenant_sakura_shoes        # dataset holding the contract views
  # credentials_file: secrets/sakura-shoes-sa.json   # or credentials_secret: projects/…/secrets/…
  # maximum_bytes_billed: 10000000000   # per query cap
  account_ids: ["123-456-7890", "234-567-8901"]   # rows this tenant may see (RLS)

users:
  - email: admin@sakura-shoes.example
    role: admin               # admin | editor | viewer
    first_name: 花子
    last_name: 佐藤
  - email: analyst@sakura-shoes.example
    role: viewer
    password_env: SAKURA_ANALYST_PASSWORD   # optional; without it apply
                                            # generates one and prints it once

branding:
  app_name: Sakura Analytics
  logo_url: https://sakura-shoes.example/logo.svg
  primary_color: "#d94f70"
  hostnames: [sakura.analytics.example.com]

features:                     # per-tenant switches; unknown names are errors
  sql_lab: false              # SQL Lab for the tenant's admin role
  explore: true               # Explore (ad-hoc charts) for editor and admin
  chat: true                  # natural-language chart chat
  csv_export: true
  alerts_reports: false

templates:                    # dashboards instantiated at onboarding
  - google_ads_overview@1
  - getting_started@1
"""

MINIMAL = """\
slug: acme
name: Acme Inc.
warehouse:
  engine: duckdb
  path: data/warehouse.duckdb
  schema: acme
  account_ids: ["123-456-7890"]
"""


def write(directory: Path, text: str, name: str = "tenant.yaml") -> Path:
    """Write a spec file (dedented) and return its path."""
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def reasons(path: Path) -> list[str]:
    """Every reason load_specs gives for a file or directory, which must be invalid."""
    with pytest.raises(SpecError) as caught:
        load_specs(path)
    assert caught.value.source == str(path)
    return caught.value.reasons


# --- valid specs ------------------------------------------------------------------------------


def test_the_full_example_of_the_spec_document_loads(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, FULL_EXAMPLE))
    assert spec.slug == "sakura-shoes"
    assert spec.name == "さくらシューズ株式会社"
    assert spec.locale == "ja"
    assert spec.warehouse.engine == "duckdb"
    assert spec.warehouse.schema_name == "sakura_shoes"
    assert spec.warehouse.account_ids == ["123-456-7890", "234-567-8901"]
    assert [(u.email, u.role, u.last_name) for u in spec.users] == [
        ("admin@sakura-shoes.example", "admin", "佐藤"),
        ("analyst@sakura-shoes.example", "viewer", "User"),
    ]
    assert spec.users[1].password_env == "SAKURA_ANALYST_PASSWORD"
    assert spec.branding.primary_color == "#d94f70"
    assert spec.branding.hostnames == ["sakura.analytics.example.com"]
    assert spec.features.chat
    assert not spec.features.sql_lab
    assert [str(t) for t in spec.templates] == ["google_ads_overview@1", "getting_started@1"]


def test_only_slug_name_and_warehouse_are_required(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    assert spec == TenantSpec.model_validate(
        {
            "slug": "acme",
            "name": "Acme Inc.",
            "locale": "en",
            "plan": "standard",
            "isolation": "shared",
            "warehouse": {
                "engine": "duckdb",
                "path": "data/warehouse.duckdb",
                "schema": "acme",
                "account_ids": ["123-456-7890"],
            },
            "users": [],
            "templates": ["google_ads_overview@1", "getting_started@1"],
        }
    )


def test_a_bigquery_spec_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: bigquery
          project: my-gcp-project
          dataset: tenant_acme
          credentials_secret: projects/my-gcp-project/secrets/acme-sa/versions/3
          maximum_bytes_billed: 10_000_000_000
          account_ids: ["123-456-7890"]
        """,
    )
    warehouse = load_spec(path).warehouse
    assert warehouse.engine == "bigquery"
    assert warehouse.maximum_bytes_billed == 10_000_000_000


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        slug: acme
        name: Acme
        warehouse: &wh
          engine: duckdb
          path: w.duckdb
          schema: acme
          account_ids: ["123-456-7890"]
        users:
          - &viewer {email: a@acme.example, role: viewer}
          - <<: *viewer
            email: b@acme.example
        """,
    )
    assert [u.email for u in load_spec(path).users] == ["a@acme.example", "b@acme.example"]


def test_parse_spec_names_the_given_source() -> None:
    assert parse_spec(MINIMAL).slug == "acme"
    with pytest.raises(SpecError) as caught:
        parse_spec("slug: acme\n", source="stdin")
    assert caught.value.reasons[0].startswith("stdin:1: name: missing required key")


# --- one invalid spec per kind, each at its exact line and key --------------------------------

INVALID = [
    pytest.param(
        """\
        slug: Acme_Inc
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        """,
        "1: slug: must be 2-40 characters of a-z, 0-9 and '-', not starting or ending with '-',"
        " got 'Acme_Inc'",
        id="bad-slug",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        brandng:
          app_name: Acme
        """,
        "4: brandng: unknown key 'brandng'; did you mean 'branding'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        features:
          chat: false
          dashboards: true
        """,
        "6: features.dashboards: unknown key 'dashboards'; expected one of: "
        "sql_lab, explore, chat, csv_export, alerts_reports",
        id="unknown-feature",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        locale: fr
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        """,
        "3: locale: must be 'ja' or 'en', got 'fr'",
        id="bad-locale",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: duckdb
          path: w.duckdb
          schema: acme
          account_ids:
            - "123-456-7890"
            - "12-34"
        """,
        "9: warehouse.account_ids[1]: must look like 123-456-7890, got '12-34'",
        id="bad-account-id",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: duckdb
          path: w.duckdb
          schema: acme
          account_ids: [1234567890]
        """,
        "7: warehouse.account_ids[0]: must be text, got 1234567890",
        id="unquoted-numeric-account-id",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: duckdb
          path: w.duckdb
          schema: acme
          account_ids:
            - "123-456-7890"
            - "234-567-8901"
            - "123-456-7890"
        """,
        "10: warehouse.account_ids[2]: duplicate account id '123-456-7890', already given as account_ids[0]",
        id="duplicate-account-id",
    ),
    pytest.param(
        """\
        # acme
        slug: acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        """,
        "2: name: missing required key",
        id="missing-top-level-key",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: duckdb
          path: w.duckdb
          account_ids: ["123-456-7890"]
        """,
        "3: warehouse.schema: missing required key",
        id="missing-nested-key",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: postgres
          account_ids: ["123-456-7890"]
        """,
        "4: warehouse.engine: must be one of 'duckdb', 'bigquery', got 'postgres'",
        id="unknown-engine",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          path: w.duckdb
          account_ids: ["123-456-7890"]
        """,
        "3: warehouse.engine: missing required key; must be one of 'duckdb', 'bigquery'",
        id="missing-engine",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: bigquery
          project: my-gcp-project
          dataset: tenant_acme
          credentials_file: secrets/acme.json
          credentials_secret: projects/my-gcp-project/secrets/acme
          account_ids: ["123-456-7890"]
        """,
        "8: warehouse.credentials_secret: set credentials_file or credentials_secret, not both",
        id="both-credentials",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: bigquery
          project: my-gcp-project
          dataset: tenant_acme
          maximum_bytes_billed: 0
          account_ids: ["123-456-7890"]
        """,
        "7: warehouse.maximum_bytes_billed: must be a positive whole number, got 0",
        id="zero-byte-cap",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: bigquery
          project: my-gcp-project
          dataset: tenant_acme
          credentials_secret: acme-sa
          account_ids: ["123-456-7890"]
        """,
        "7: warehouse.credentials_secret: "
        "must look like projects/<project>/secrets/<name>[/versions/<version>], got 'acme-sa'",
        id="bad-secret-name",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
          - email: admin@acme
            role: admin
        """,
        "5: users[0].email: must be an email address like ana@example.com, got 'admin@acme'",
        id="bad-email",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
          - email: ana@acme.example
            role: admin
          - email: Ana@Acme.example
            role: viewer
        """,
        "7: users[1].email: duplicate email 'Ana@Acme.example', already given as users[0]",
        id="duplicate-email",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
          - email: ana@acme.example
            role: owner
        """,
        "6: users[0].role: must be 'admin', 'editor' or 'viewer', got 'owner'",
        id="bad-role",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        branding:
          logo_url: "javascript:alert(document.cookie)"
        """,
        "5: branding.logo_url: must not be a javascript: URL; use an http(s) URL or a path under /static/",
        id="javascript-logo",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        branding:
          primary_color: #d94f70
        """,
        "5: branding.primary_color: "
        'is empty; quote the colour, e.g. "#d94f70" (an unquoted # starts a YAML comment)',
        id="unquoted-colour",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        branding:
          hostnames:
            - acme.analytics.example.com
            - acme.analytics.example.com
        """,
        "7: branding.hostnames[1]: "
        "duplicate hostname 'acme.analytics.example.com', already given as hostnames[0]",
        id="duplicate-hostname",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        features:
          chat: "yes"
        """,
        "5: features.chat: must be true or false, got 'yes'",
        id="non-boolean-feature",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        templates:
          - google_ads_overview
        """,
        "5: templates[0]: "
        "must be written as name@version, e.g. 'google_ads_overview@1', got 'google_ads_overview'",
        id="template-without-version",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        templates:
          - google_ads_overview@1
          - google_ads_overview@2
        """,
        "6: templates[1]: duplicate template 'google_ads_overview', already given as templates[0]",
        id="duplicate-template",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: duckdb
        """,
        "3: warehouse: must be a mapping of keys to values, got 'duckdb'",
        id="warehouse-not-a-mapping",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
        """,
        "4: users: must be a list, got an empty value",
        id="empty-users",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
          - email: ana@acme.example
            role: viewer
            pasword_env: ANA_PASSWORD
        """,
        "7: users[0].pasword_env: unknown key 'pasword_env'; did you mean 'password_env'?",
        id="unknown-user-key",
    ),
    pytest.param(
        """\
        slug: acme
        name: Acme
        warehouse:
          engine: duckdb
          path: w.duckdb
          schema: acme
          account_ids: ["123-456-7890"]
          path: data/other.duckdb
        """,
        "8: warehouse.path: duplicate key 'path' (first given on line 5)",
        id="duplicate-yaml-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_each_kind_of_invalid_spec_is_reported_at_its_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    assert reasons(path) == [f"{path}:{expected}"]


def test_at_least_twelve_kinds_of_invalid_spec_are_covered() -> None:
    assert len(INVALID) >= 12


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        slug: -acme
        name: Acme
        locale: de
        warehouse:
          engine: duckdb
          path: w.duckdb
          schema: Acme
          account_ids: ["123-456-7890", "12-34", "123-456-7890"]
        users:
          - email: nope
            role: admin
        features:
          sqllab: true
        name: Acme again
        """,
    )
    assert reasons(path) == [
        f"{path}:1: slug: "
        "must be 2-40 characters of a-z, 0-9 and '-', not starting or ending with '-', got '-acme'",
        f"{path}:3: locale: must be 'ja' or 'en', got 'de'",
        f"{path}:7: warehouse.schema: "
        "must be a lower-case SQL identifier (a-z, 0-9, '_'; at most 63), got 'Acme'",
        f"{path}:8: warehouse.account_ids[1]: must look like 123-456-7890, got '12-34'",
        f"{path}:8: warehouse.account_ids[2]: "
        "duplicate account id '123-456-7890', already given as account_ids[0]",
        f"{path}:10: users[0].email: must be an email address like ana@example.com, got 'nope'",
        f"{path}:13: features.sqllab: unknown key 'sqllab'; did you mean 'sql_lab'?",
        f"{path}:14: name: duplicate key 'name' (first given on line 2)",
    ]


def test_a_duplicate_key_on_one_line_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "features: {chat: true, chat: false}\n")
    assert reasons(path) == [f"{path}:8: features.chat: duplicate key 'chat' (first given on line 8)"]


def test_the_error_message_lists_every_reason_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "slug: a\nname: ''\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert text.startswith(f"invalid tenant spec in {path} (3 problem(s)):")
    assert f"  - {path}:1: slug: " in text
    assert f"  - {path}:2: name: must not be empty" in text
    assert f"  - {path}:1: warehouse: missing required key" in text


def test_a_password_pasted_into_password_env_is_not_echoed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        slug: acme
        name: Acme
        warehouse: {engine: duckdb, path: w.duckdb, schema: acme, account_ids: ["123-456-7890"]}
        users:
          - {email: a@acme.example, role: admin, password_env: "s3cret!pass"}
          - {email: b@acme.example, role: admin, password_env: 123456}
        """,
    )
    found = reasons(path)
    assert len(found) == 2
    assert all("s3cret" not in reason and "123456" not in reason for reason in found)
    assert found[1] == f"{path}:6: users[1].password_env: must be text, got a value of the wrong type"


# --- YAML and file problems -------------------------------------------------------------------


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "slug: acme\nname: Acme\nwarehouse:\n  engine: duckdb\n bad: indent\n")
    [reason] = reasons(path)
    assert reason.startswith(f"{path}:5: YAML syntax error: ")


def test_an_unclosed_bracket_names_where_it_was_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "slug: acme\nname: [Acme\n")
    assert reasons(path) == [
        f"{path}:3: YAML syntax error: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence that starts on line 2)"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_an_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert reasons(path) == [
        f"{path}:1: the file is empty; a tenant spec needs at least slug, name and warehouse"
    ]


@pytest.mark.parametrize(("text", "got"), [("- slug: acme\n", "a list"), ("just text\n", "'just text'")])
def test_the_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    path = write(tmp_path, text)
    assert reasons(path) == [f"{path}:1: the top level must be a mapping (slug: …, name: …), got {got}"]


def test_two_documents_in_one_file_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "---\n" + MINIMAL)
    [reason] = reasons(path)
    assert reason == (
        f"{path}:8: YAML syntax error: expected a single document in the stream, but found another document"
    )


def test_non_text_keys_and_unknown_tags_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "1: one\nplan: !vault xyz\n")
    assert reasons(path) == [
        f"{path}:8: keys must be plain words, got 1",
        f"{path}:9: plan: YAML error: could not determine a constructor for the tag '!vault'",
    ]


def test_a_recursive_alias_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "templates: &t [*t]\n")
    assert f"{path}:8: templates[0]: recursive YAML alias" in reasons(path)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.reasons == [f"{path}: no such file"]
    assert reasons(path) == [f"{path}: no such file"]


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Café\n".encode("latin-1"))
    assert reasons(path) == [f"{path}: is not UTF-8 text (invalid byte at offset 9)"]


def test_load_spec_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(tmp_path)


# --- directories ------------------------------------------------------------------------------


def spec_text(slug: str, *hostnames: str) -> str:
    """A valid spec for ``slug`` claiming ``hostnames``."""
    hosts = ", ".join(hostnames)
    return MINIMAL.replace("slug: acme", f"slug: {slug}") + f"branding:\n  hostnames: [{hosts}]\n"


def test_a_directory_loads_every_yaml_file_sorted_by_name(tmp_path: Path) -> None:
    write(tmp_path, spec_text("charlie"), "c.yaml")
    write(tmp_path, spec_text("alpha"), "a.yml")
    write(tmp_path, spec_text("bravo"), "b.yaml")
    write(tmp_path, "not: a spec", "README.md")
    write(tmp_path, "not: a spec", ".hidden.yaml")
    (tmp_path / "sub.yaml").mkdir()
    assert [spec.slug for spec in load_specs(tmp_path)] == ["alpha", "bravo", "charlie"]


def test_load_specs_accepts_a_single_file(tmp_path: Path) -> None:
    assert [spec.slug for spec in load_specs(write(tmp_path, MINIMAL))] == ["acme"]


def test_a_directory_without_yaml_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "slug: acme", "acme.json")
    assert reasons(tmp_path) == [f"{tmp_path}: no *.yaml or *.yml files in this directory"]


def test_problems_of_every_file_in_a_directory_are_reported_together(tmp_path: Path) -> None:
    bad_a = write(tmp_path, "slug: a-1\nname: A\n", "a.yaml")
    write(tmp_path, spec_text("bravo"), "b.yaml")
    bad_c = write(tmp_path, spec_text("charlie").replace("engine: duckdb", "engine: sqlite"), "c.yaml")
    assert reasons(tmp_path) == [
        f"{bad_a}:1: warehouse: missing required key",
        f"{bad_c}:4: warehouse.engine: must be one of 'duckdb', 'bigquery', got 'sqlite'",
    ]


def test_the_same_slug_in_two_files_names_both_files(tmp_path: Path) -> None:
    later = write(tmp_path, spec_text("acme"), "acme.yaml")
    earlier = write(tmp_path, spec_text("acme"), "acme-copy.yaml")  # "-" sorts before "."
    assert reasons(tmp_path) == [
        f"{later}:1: slug: 'acme' is already the slug of {earlier}:1; every tenant needs its own slug"
    ]


def test_the_same_hostname_claimed_by_two_tenants_is_an_error(tmp_path: Path) -> None:
    first = write(tmp_path, spec_text("alpha", "a.example.com", "shared.example.com"), "alpha.yaml")
    second = write(tmp_path, spec_text("bravo", "shared.example.com"), "bravo.yaml")
    assert reasons(tmp_path) == [
        f"{second}:9: branding.hostnames[0]: 'shared.example.com' is already claimed by tenant 'alpha'"
        f" ({first}:9)"
    ]
