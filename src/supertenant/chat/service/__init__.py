"""The chat web service: FastAPI app, Superset-as-the-user client, catalog cache, metrics."""

from supertenant.chat.service.app import create_app

__all__ = ["create_app"]
