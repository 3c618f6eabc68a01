"""REST access to the tenant registry for the platform admin (the CLI's only way in).

The CLI talks to Superset over HTTP only, so the same ``supertenant tenant``
commands work against a laptop and a Cloud Run URL; this API is how they
reach the registry tables in the metadata DB.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from pydantic import ValidationError
from superset.extensions import db, security_manager

from supertenant.registry import migrate, store
from supertenant.registry.records import Membership, TenantRecord
from supertenant.superset_ext.context import directory
from supertenant.superset_ext.names import REGISTRY_VIEW
from supertenant.superset_ext.permission_ids import MAX_PAIRS, parse_pairs, permission_view_ids


class TenantRegistryApi(BaseApi):
    """``/api/v1/supertenant/…``: platform admin only (permission and Admin role both required)."""

    resource_name = "supertenant"
    class_permission_name = REGISTRY_VIEW
    method_permission_name: ClassVar[dict[str, str]] = {
        "status": "read",
        "list_tenants": "read",
        "get_tenant": "read",
        "put_tenant": "write",
        "delete_tenant": "write",
        "get_members": "read",
        "put_members": "write",
        "permission_ids": "read",
    }
    allow_browser_login = True
    openapi_spec_tag = "supertenant"

    def _refuse_non_admin(self) -> Response | None:
        # Defence in depth: even a role that was handed our permission by mistake is refused.
        if not security_manager.is_admin():
            return self.response_403()
        return None

    @expose("/status", methods=("GET",))
    @protect()
    @safe
    def status(self) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        with db.engine.connect() as connection:
            count = len(store.list_tenants(connection))
        current = migrate.current_revision(db.engine)
        return self.response(
            200, registry_revision=current, registry_head=migrate.head_revision(), tenants=count
        )

    @expose("/tenants/", methods=("GET",))
    @protect()
    @safe
    def list_tenants(self) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        with db.engine.connect() as connection:
            records = store.list_tenants(connection)
        return self.response(200, result=[r.model_dump(mode="json") for r in records])

    @expose("/tenants/<slug>", methods=("GET",))
    @protect()
    @safe
    def get_tenant(self, slug: str) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        with db.engine.connect() as connection:
            record = store.get_tenant(connection, slug)
        if record is None:
            return self.response_404()
        return self.response(200, result=record.model_dump(mode="json"))

    @expose("/tenants/<slug>", methods=("PUT",))
    @protect()
    @safe
    def put_tenant(self, slug: str) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        body: dict[str, Any] = dict(request.get_json(silent=True) or {})
        body["slug"] = slug
        try:
            record = TenantRecord.model_validate(body)
        except ValidationError as exc:
            return self.response_400(message=_errors(exc))
        with db.engine.begin() as connection:
            stored = store.upsert_tenant(connection, record)
        directory().invalidate()
        return self.response(200, result=stored.model_dump(mode="json"))

    @expose("/tenants/<slug>", methods=("DELETE",))
    @protect()
    @safe
    def delete_tenant(self, slug: str) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        with db.engine.begin() as connection:
            deleted = store.delete_tenant(connection, slug)
        directory().invalidate()
        return self.response(200, message="deleted") if deleted else self.response_404()

    @expose("/tenants/<slug>/members", methods=("GET",))
    @protect()
    @safe
    def get_members(self, slug: str) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        with db.engine.connect() as connection:
            if store.tenant_id(connection, slug) is None:
                return self.response_404()
            members = store.list_members(connection, slug)
        return self.response(200, result=[m.model_dump() for m in members])

    @expose("/tenants/<slug>/members", methods=("PUT",))
    @protect()
    @safe
    def put_members(self, slug: str) -> Response:
        if denied := self._refuse_non_admin():
            return denied
        body = request.get_json(silent=True) or {}
        try:
            members = [Membership.model_validate(m) for m in body.get("members", [])]
        except ValidationError as exc:
            return self.response_400(message=_errors(exc))
        try:
            with db.engine.begin() as connection:
                store.replace_members(connection, slug, members)
            directory().invalidate()
        except LookupError:
            return self.response_404()
        except ValueError as exc:
            return self.response_422(message=str(exc))
        return self.response(200, result=[m.model_dump() for m in members])

    @expose("/permission-ids", methods=("POST",))
    @protect()
    @safe
    def permission_ids(self) -> Response:
        """The ids of (permission, view menu) pairs, in one query: ``{"permissions": [[p, v], …]}``.

        FAB's own API finds a permission-view only by listing with one related id per filter,
        which took the engine nine requests per tenant to give three roles their permissions.
        Pairs Superset lacks are left out of the answer; the caller names them.
        """
        if denied := self._refuse_non_admin():
            return denied
        try:
            pairs = parse_pairs(request.get_json(silent=True))
        except ValueError as exc:
            return self.response_400(message=f"{exc} (at most {MAX_PAIRS} pairs)")
        found = permission_view_ids(db.session, security_manager, pairs)
        return self.response(
            200, result=[{"permission": p, "view_menu": v, "id": i} for (p, v), i in sorted(found.items())]
        )


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)
    )
