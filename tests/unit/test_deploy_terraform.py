"""Offline checks of deploy/terraform: parsed with python-hcl2, references and module inputs
resolved, our deployment rules enforced, and the per-tenant input rendered from the demo specs
(plus a dedicated-isolation example) type-checked and instantiated on paper.

What this cannot do: download the google provider, so `terraform validate` and `plan` run in
GitHub Actions only (.github/workflows/ci.yml).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from supertenant.ops import render
from supertenant.spec.loader import load_specs

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "deploy" / "terraform"
DEMO = ROOT / "src" / "supertenant" / "demo" / "tenants"
EXAMPLES = TF / "examples" / "tenants"
MODULE_DIRS = [TF, TF / "modules" / "tenant", TF / "modules" / "dedicated"]


def _clean(value: Any) -> Any:
    """python-hcl2 8 keeps HCL's quotes and adds markers: plain values are easier to assert on."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def parsed(directory: Path) -> dict[str, list[Any]]:
    """All blocks of one module, merged over its files."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for kind, blocks in _clean(hcl2.load(handle)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def names(directory: Path, kind: str) -> set[str]:
    return {name for block in parsed(directory).get(kind, []) for name in block}


def resources(directory: Path, rtype: str | None = None) -> dict[str, dict[str, Any]]:
    found = {}
    for block in parsed(directory).get("resource", []):
        for kind, instances in block.items():
            for name, body in instances.items():
                if rtype is None or kind == rtype:
                    found[f"{kind}.{name}"] = body
    return found


def text(directory: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(directory.glob("*.tf")))


def strip_comments(source: str) -> str:
    return re.sub(r"#[^\n]*", "", source)


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: d.name)
def test_every_file_parses(directory: Path) -> None:
    assert parsed(directory).get("resource") or parsed(directory).get("variable")


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: d.name)
def test_every_reference_is_declared(directory: Path) -> None:
    """A poor man's `terraform validate`: var., local., module. and resource references resolve."""
    source = strip_comments(text(directory))
    declared_resources = set(resources(directory)) | {
        f"{kind}.{name}"
        for block in parsed(directory).get("data", [])
        for kind, v in block.items()
        for name in v
    }
    local_names = {name for block in parsed(directory).get("locals", []) for name in block}
    problems = [f"var.{n}" for n in set(re.findall(r"\bvar\.(\w+)", source)) - names(directory, "variable")]
    problems += [f"local.{n}" for n in set(re.findall(r"\blocal\.(\w+)", source)) - local_names]
    problems += [
        f"module.{n}" for n in set(re.findall(r"\bmodule\.(\w+)", source)) - names(directory, "module")
    ]
    for kind, name in set(re.findall(r"\b(google_\w+|random_\w+)\.(\w+)", source)):
        if f"{kind}.{name}" not in declared_resources and not source.count(f'resource "{kind}" "{name}"'):
            problems.append(f"{kind}.{name}")
    assert not sorted(problems)


def test_module_calls_match_the_modules_variables() -> None:
    for block in parsed(TF)["module"]:
        for name, body in block.items():
            module_dir = (TF / body["source"]).resolve()
            variables = {n: v for b in parsed(module_dir)["variable"] for n, v in b.items()}
            given = set(body) - {"source", "for_each", "count", "depends_on", "providers"}
            assert not given - set(variables), f"module {name}: unknown inputs {given - set(variables)}"
            required = {n for n, v in variables.items() if "default" not in v}
            assert not required - given, f"module {name}: missing inputs {required - given}"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary here (CI runs fmt)")
def test_terraform_fmt() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(TF)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# -- our rules ----------------------------------------------------------------------------------


def test_cloud_sql_is_private_backed_up_with_pitr_and_protected() -> None:
    (instance,) = resources(TF, "google_sql_database_instance").values()
    settings = instance["settings"][0]
    assert instance["deletion_protection"] == "${var.deletion_protection}"
    assert names(TF, "variable") >= {"deletion_protection"}
    variable = next(b["deletion_protection"] for b in parsed(TF)["variable"] if "deletion_protection" in b)
    assert variable["default"] is True
    assert settings["ip_configuration"][0]["ipv4_enabled"] is False
    backup = settings["backup_configuration"][0]
    assert backup["enabled"] is True
    assert backup["point_in_time_recovery_enabled"] is True
    for env in ("stg", "prod"):
        assert "deletion_protection  = true" in (TF / "envs" / f"{env}.tfvars").read_text()


def test_no_cloud_run_service_is_reachable_around_the_load_balancer() -> None:
    for directory in MODULE_DIRS:
        for name, body in resources(directory, "google_cloud_run_v2_service").items():
            ingress = str(body.get("ingress", ""))
            assert "INGRESS_TRAFFIC_ALL" not in ingress, name
            assert ingress, f"{name} has no explicit ingress"
    source = text(TF)
    assert (
        'ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"' in source.replace("  ", " ") or "INTERNAL_ONLY" in source
    )


def test_beat_is_a_singleton_and_celery_is_never_cpu_throttled() -> None:
    run = (TF / "run.tf").read_text()
    beat = re.search(r"beat\s*=\s*\{([^}]*)\}", run)
    assert beat is not None
    assert re.search(r"min\s*=\s*1\b", beat[1])
    assert re.search(r"max\s*=\s*1\b", beat[1])
    assert "always_on = true" in beat[1].replace("  ", " ")
    assert "cpu_idle          = !each.value.always_on" in run


def test_cloud_armor_waf_leaves_sql_bearing_bodies_alone_and_bans_login_floods() -> None:
    armor = (TF / "armor.tf").read_text()
    found = re.search(r"sql_bearing_paths = \"request\.path\.matches\('(.*)'\)\"", armor)
    assert found is not None
    exempt = re.compile(found[1])  # CEL's matches() is RE2; this pattern means the same in Python
    for path in (
        "/api/v1/chart/data",
        "/api/v1/sqllab/execute/",
        "/superset/explore_json/",
        "/api/v1/rowlevelsecurity/",
    ):
        assert exempt.search(path), path
    for path in ("/login/", "/api/v1/security/login", "/static/x.js", "/superset/welcome/"):
        assert not exempt.search(path), path
    for rule_set in ("sqli-v33-stable", "xss-v33-stable"):
        (line,) = [x for x in armor.splitlines() if rule_set in x]
        assert "!${local.sql_bearing_paths}" in line
    assert 'action      = "rate_based_ban"' in armor
    assert "/login/" in armor


def test_migrations_are_a_job_and_never_run_at_service_start() -> None:
    jobs = resources(TF, "google_cloud_run_v2_job")
    assert "google_cloud_run_v2_job.ops" in jobs
    assert '"/app/migrate.sh"' in (TF / "run.tf").read_text()
    for directory in MODULE_DIRS:
        for name, body in resources(directory, "google_cloud_run_v2_service").items():
            assert "migrate" not in json.dumps(body), name


def test_secrets_never_leave_through_outputs_and_ci_uses_no_keys() -> None:
    for directory in MODULE_DIRS:
        outputs = json.dumps(parsed(directory).get("output", []))
        for secret in ("random_password", "secret_data", "private_key", "auth_string"):
            assert secret not in outputs, (directory.name, secret)
    provider = resources(TF, "google_iam_workload_identity_pool_provider")
    (body,) = provider.values()
    assert "var.github_repository" in body["attribute_condition"]


def test_every_tenant_gets_a_reader_with_dataset_level_access_only() -> None:
    module = TF / "modules" / "tenant"
    members = resources(module, "google_bigquery_dataset_iam_member")
    assert [b["role"] for b in members.values()] == ["roles/bigquery.dataViewer"]
    project_roles = resources(module, "google_project_iam_member")
    for body in project_roles.values():
        assert "dataViewer" not in json.dumps(body), "project-wide data access would see every tenant"


# -- the rendered per-tenant input ------------------------------------------------------------------


def tenant_type_attributes() -> tuple[set[str], set[str]]:
    """The `tenants` variable's object attributes: (all, optional)."""
    variable = next(b["tenants"] for b in parsed(TF)["variable"] if "tenants" in b)
    declared = str(variable["type"])
    outer = declared[declared.index("object({") + len("object({") :]
    top = re.sub(r"object\(\{[^}]*\}\)", "OBJ", outer)
    attributes = set(re.findall(r"(\w+)\s*=", top))
    optional = set(re.findall(r"(\w+)\s*=\s*optional\(", top))
    return attributes, optional


@cache
def rendered() -> dict[str, Any]:
    return render.render([*load_specs(DEMO), *load_specs(EXAMPLES)])


def test_rendered_tenants_match_the_variable_type() -> None:
    attributes, optional = tenant_type_attributes()
    tenants = rendered()["tenants"]
    assert set(tenants) == {"sakura-shoes", "northwind-outdoor", "acme-corp"}
    for slug, entry in tenants.items():
        assert set(entry) <= attributes, f"{slug}: unknown {set(entry) - attributes}"
        assert attributes - optional <= set(entry), f"{slug}: missing {attributes - optional - set(entry)}"


def test_rendered_names_are_valid_gcp_names() -> None:
    for slug, entry in rendered()["tenants"].items():
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", entry["reader_account_id"]), slug
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,1023}", entry["bigquery_dataset"]), slug
        if entry["dedicated"]:
            assert re.fullmatch(r"[a-z]([a-z0-9-]{0,47}[a-z0-9])?", entry["dedicated"]["service_name"]), slug
            assert re.fullmatch(r"[a-z]([a-z0-9-]{0,47}[a-z0-9])?", entry["dedicated"]["migrate_job_name"]), (
                slug
            )
            assert re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", entry["dedicated"]["database_name"]), slug


def test_a_dedicated_tenant_renders_its_own_service_database_and_route() -> None:
    tenants = rendered()["tenants"]
    dedicated = {slug for slug, t in tenants.items() if t["dedicated"]}
    assert dedicated == {"acme-corp"}
    assert all(tenants[slug]["hostnames"] for slug in dedicated)  # the load balancer routes by host
    module = TF / "modules" / "dedicated"
    kinds = {name.split(".")[0] for name in resources(module)}
    assert {
        "google_cloud_run_v2_service",
        "google_sql_database",
        "google_sql_user",
        "google_cloud_run_v2_job",
    } <= kinds
    lb = (TF / "lb.tf").read_text()
    assert "for_each = local.dedicated" in lb
    # Each dedicated instance gets its own Redis DB number, never the shared one (0).
    assert "i + 1" in (TF / "main.tf").read_text()


def test_the_dedicated_tenant_is_applied_to_its_own_url() -> None:
    (spec,) = load_specs(EXAMPLES)
    assert render.superset_url(spec, "https://shared.example") == "https://acme.stg.analytics.example.com"
    (shared, *_) = load_specs(DEMO)
    assert render.superset_url(shared, "https://shared.example") == "https://shared.example"


def test_render_tenants_cli_writes_and_checks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from supertenant.cli.app import app

    out = tmp_path / "tenants.auto.tfvars.json"
    runner = CliRunner()
    written = runner.invoke(app, ["deploy", "render-tenants", "-f", str(DEMO), "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text())["tenants"].keys() == {"sakura-shoes", "northwind-outdoor"}
    assert (
        runner.invoke(
            app, ["deploy", "render-tenants", "-f", str(DEMO), "--out", str(out), "--check"]
        ).exit_code
        == 0
    )
    out.write_text("{}")
    assert (
        runner.invoke(
            app, ["deploy", "render-tenants", "-f", str(DEMO), "--out", str(out), "--check"]
        ).exit_code
        == 1
    )
