"""Tenant specs → Terraform input: names GCP accepts, one owner per hostname."""

from __future__ import annotations

import re

import pytest

from supertenant.errors import SpecError
from supertenant.ops import render
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import TenantSpec

SPEC = """
slug: {slug}
name: Tenant {slug}
isolation: {isolation}
warehouse: {{engine: duckdb, path: w.duckdb, schema: s_{n}, account_ids: ["123-456-7890"]}}
branding: {{hostnames: [{host}]}}
"""


def spec(slug: str, host: str, isolation: str = "shared", n: int = 1) -> TenantSpec:
    return parse_spec(SPEC.format(slug=slug, host=host, isolation=isolation, n=n), source=f"{slug}.yaml")


@pytest.mark.parametrize("slug", ["ab", "sakura-shoes", "a" * 40, "a-" * 19 + "zz"])
def test_service_account_ids_are_valid_and_stable_for_any_slug(slug: str) -> None:
    account = render.service_account_id(slug)
    assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account)
    assert account == render.service_account_id(slug)


def test_long_slugs_get_distinct_names() -> None:
    a, b = "x" * 39 + "a", "x" * 39 + "b"
    assert render.service_account_id(a) != render.service_account_id(b)
    assert render.resource_name(a, "superset-") != render.resource_name(b, "superset-")
    assert len(render.resource_name(a, "superset-")) <= 49


def test_two_tenants_cannot_claim_one_hostname() -> None:
    with pytest.raises(SpecError, match=r"hostname 'x\.example\.com' is already a-one's"):
        render.render([spec("a-one", "x.example.com"), spec("b-two", "x.example.com", n=2)])


def test_dedicated_tenants_get_an_instance_and_shared_ones_do_not() -> None:
    rendered = render.render(
        [spec("a-one", "a.example.com", "dedicated"), spec("b-two", "b.example.com", n=2)]
    )["tenants"]
    assert rendered["a-one"]["dedicated"] == {
        "service_name": "superset-a-one",
        "database_name": "superset_a_one",
        "migrate_job_name": "migrate-a-one",
    }
    assert rendered["b-two"]["dedicated"] is None
