"""The registry's membership comparison must not depend on list order or JSON key order."""

from __future__ import annotations

from supertenant.provision.engine import members_match
from supertenant.registry.records import Membership

WANTED = [
    Membership(user_id=99, username="viewer@t.example", role="viewer"),
    Membership(user_id=100, username="admin@t.example", role="admin"),
]


def test_same_members_with_sorted_json_keys_and_other_order_match() -> None:
    # Flask sorts JSON keys, and ids that cross a digit boundary sort differently as text.
    observed = [
        {"role": "admin", "user_id": 100, "username": "admin@t.example"},
        {"role": "viewer", "user_id": 99, "username": "viewer@t.example"},
    ]
    assert members_match(observed, WANTED)


def test_a_changed_role_missing_or_extra_member_does_not_match() -> None:
    changed = [
        {"role": "editor", "user_id": 100, "username": "admin@t.example"},
        {"role": "viewer", "user_id": 99, "username": "viewer@t.example"},
    ]
    assert not members_match(changed, WANTED)
    assert not members_match(changed[1:], WANTED)
    extra = [*(m.model_dump() for m in WANTED), {"role": "viewer", "user_id": 7, "username": "x@t.example"}]
    assert not members_match(extra, WANTED)
