"""supertenant: a multi-tenant analytics SaaS on one Apache Superset 6.1 instance."""
