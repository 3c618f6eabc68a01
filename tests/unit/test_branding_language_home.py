"""Default UI language and the Getting Started home page, as pure decisions."""

from __future__ import annotations

import pytest

from supertenant.superset_ext.home import home_redirect
from supertenant.superset_ext.language import language_pack_lang, locale_for

LANGS = {"ja": {}, "en": {}}


def pick(requested: str | None = None, chosen: str | None = None, tenant_locale: str | None = None) -> str:
    return locale_for(
        requested=requested, chosen=chosen, tenant_locale=tenant_locale, default="en", languages=LANGS
    )


def test_tenant_locale_is_the_default_of_its_users() -> None:
    assert pick(tenant_locale="ja") == "ja"
    assert pick(tenant_locale="en") == "en"


def test_an_explicit_choice_beats_the_tenant_locale() -> None:
    assert pick(chosen="en", tenant_locale="ja") == "en"
    assert pick(requested="en", chosen="ja", tenant_locale="ja") == "en"


def test_no_tenant_and_no_choice_is_the_platform_default() -> None:
    assert pick() == "en"


@pytest.mark.parametrize("bad", ["fr", "", "../../etc", "JA"])
def test_unknown_languages_are_skipped(bad: str) -> None:
    assert pick(requested=bad, chosen=bad, tenant_locale="ja") == "ja"
    assert pick(tenant_locale=bad) == "en"


@pytest.mark.parametrize(
    ("path", "lang"),
    [
        ("/superset/language_pack/ja/", "ja"),
        ("/superset/language_pack/pt_BR/", "pt_BR"),
        ("/superset/language_pack/../x/", None),
        ("/superset/language_pack/ja/extra/", None),
        ("/superset/welcome/", None),
    ],
)
def test_language_pack_path(path: str, lang: str | None) -> None:
    assert language_pack_lang(path) == lang


def test_home_redirects_tenant_users_to_the_getting_started_dashboard() -> None:
    assert home_redirect("/superset/welcome/", "GET", 12, None) == "/superset/dashboard/12/"
    assert home_redirect("/superset/welcome", "HEAD", 12, None) == "/superset/dashboard/12/"


@pytest.mark.parametrize(
    ("path", "method", "home", "own"),
    [
        ("/superset/welcome/", "GET", None, None),  # tenant without a home dashboard
        ("/superset/welcome/", "GET", 12, 40),  # the user chose their own welcome dashboard
        ("/superset/welcome/", "POST", 12, None),
        ("/superset/dashboard/3/", "GET", 12, None),
        ("/", "GET", 12, None),
    ],
)
def test_home_is_left_to_superset_otherwise(
    path: str, method: str, home: int | None, own: int | None
) -> None:
    assert home_redirect(path, method, home, own) is None
