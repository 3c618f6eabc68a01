"""Superset's role API, with a role's permissions set in one query instead of one per id.

FAB's ``POST /api/v1/security/roles/<id>/permissions`` looks each permission-view id up with its
own query. A tenant role holds about 80, so onboarding one tenant (three roles) cost some 240
queries, a tenth of the server's work for the apply (``benchmarks/README.md``). Same request,
same response, same outcome — unknown ids are skipped, as FAB does — with one ``IN`` query.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.const import API_RESULT_RES_KEY
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.models import PermissionView
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from superset.security.manager import SupersetRoleApi


class FasterRoleApi(SupersetRoleApi):
    """Registered as the security manager's ``role_api``."""

    @expose("/<int:role_id>/permissions", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_role_permissions")
    def add_role_permissions(self, role_id: int) -> Any:
        """Replace a role's permissions with these permission-view ids (FAB's contract)."""
        try:
            item = self.add_role_permission_schema.load(request.json)
            role = self.datamodel.get(role_id)
            if not role:
                return self.response_404()
            ids = sorted(set(item["permission_view_menu_ids"]))
            query = self.datamodel.session.query(PermissionView)
            role.permissions = query.filter(PermissionView.id.in_(ids)).all() if ids else []
            self.datamodel.edit(role)
            return self.response(
                200, **{API_RESULT_RES_KEY: self.add_role_permission_schema.dump(item, many=False)}
            )
        except ValidationError as error:
            return self.response_400(message=error.messages)
        except IntegrityError as error:
            return self.response_422(message=str(error.orig))
