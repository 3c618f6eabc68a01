"""The ``permission-ids`` endpoint's logic: body parsing and one query over FAB's tables."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from supertenant.superset_ext.permission_ids import MAX_PAIRS, parse_pairs, permission_view_ids

MODELS = SimpleNamespace(
    permissionview_model=PermissionView, permission_model=Permission, viewmenu_model=ViewMenu
)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    tables = [Permission.__table__, ViewMenu.__table__, PermissionView.__table__]
    PermissionView.metadata.create_all(engine, tables=tables)
    with Session(engine) as db:
        yield db


def add(db: Session, perm: str, view: str) -> int:
    permission = db.query(Permission).filter_by(name=perm).one_or_none() or Permission(name=perm)
    view_menu = db.query(ViewMenu).filter_by(name=view).one_or_none() or ViewMenu(name=view)
    pvm = PermissionView(permission=permission, view_menu=view_menu)
    db.add(pvm)
    db.flush()
    return int(pvm.id)


def test_finds_exactly_the_pairs_asked(session: Session) -> None:
    read_chart = add(session, "can_read", "Chart")
    add(session, "can_write", "Chart")  # same view, other permission: not asked
    add(session, "can_read", "Dashboard")  # same permission, other view: not asked
    mine = add(session, "datasource_access", "[t_acme].[campaigns](id:4)")
    asked = [("can_read", "Chart"), ("datasource_access", "[t_acme].[campaigns](id:4)"), ("can_fly", "Chart")]
    assert permission_view_ids(session, MODELS, asked) == {
        ("can_read", "Chart"): read_chart,
        ("datasource_access", "[t_acme].[campaigns](id:4)"): mine,
    }


def test_nothing_asked_nothing_queried(session: Session) -> None:
    assert permission_view_ids(session, MODELS, []) == {}


def test_parses_pairs() -> None:
    assert parse_pairs({"permissions": [["can_read", "Chart"]]}) == [("can_read", "Chart")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "JSON object"),
        ([["can_read", "Chart"]], "JSON object"),
        ({"permission": []}, '"permissions" list'),
        ({"permissions": [["can_read"]]}, r"permissions\[0\]"),
        ({"permissions": [["can_read", "Chart"], ["can_read", 3]]}, r"permissions\[1\]"),
        ({"permissions": [["", "Chart"]]}, r"permissions\[0\]"),
        ({"permissions": [["a", "b"]] * (MAX_PAIRS + 1)}, "pairs asked"),
    ],
)
def test_bad_bodies_are_named(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_pairs(body)
