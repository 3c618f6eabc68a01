"""/metrics names every tenant in its labels: only the operator's scraper may read it."""

from __future__ import annotations

from supertenant.metering.scrape import scrape_allowed


def allowed(**overrides: object) -> bool:
    args: dict[str, object] = {
        "token": None,
        "authorization": "",
        "remote_addr": "127.0.0.1",
        "forwarded_for": None,
        "tenant_user": False,
    }
    return scrape_allowed(**(args | overrides))  # type: ignore[arg-type]


def test_without_a_token_only_a_direct_loopback_caller_may_scrape() -> None:
    assert allowed()
    assert allowed(remote_addr="::1")
    assert not allowed(remote_addr="10.8.0.4")
    assert not allowed(remote_addr=None)
    # Through a proxy or load balancer (ProxyFix may have rewritten remote_addr): refused.
    assert not allowed(forwarded_for="203.0.113.9")


def test_with_a_token_only_its_bearer_may_scrape_from_anywhere() -> None:
    assert allowed(token="s3cret-scrape", authorization="Bearer s3cret-scrape", remote_addr="10.8.0.4")
    assert not allowed(token="s3cret-scrape", authorization="Bearer wrong")
    assert not allowed(token="s3cret-scrape", authorization="")  # loopback alone is not enough then


def test_a_signed_in_tenant_user_is_always_refused() -> None:
    assert not allowed(tenant_user=True)
    assert not allowed(tenant_user=True, token="t0ken-x", authorization="Bearer t0ken-x")
