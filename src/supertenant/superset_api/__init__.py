"""A thin Superset REST client: works against 127.0.0.1:8088 and a Cloud Run URL alike."""

from supertenant.superset_api.client import SupersetClient

__all__ = ["SupersetClient"]
