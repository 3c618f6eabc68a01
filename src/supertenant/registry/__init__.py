"""The tenant registry: supertenant's own tables in Superset's metadata DB.

Its Alembic migrations keep their own version table
(``supertenant_alembic_version``) so they never interfere with Superset's.
"""
