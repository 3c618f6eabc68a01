# Secret Manager: generated once, read by Cloud Run as env vars. Values never appear in outputs.
resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "random_password" "guest_token" {
  length  = 64
  special = false
}

resource "random_password" "admin" {
  length  = 32
  special = false
}

locals {
  secrets = {
    "secret-key"      = random_password.secret_key.result
    "guest-token-jwt" = random_password.guest_token.result
    "admin-password"  = random_password.admin.result
    "metadata-db-url" = "postgresql+psycopg2://superset:${random_password.db.result}@${google_sql_database_instance.metadata.private_ip_address}:5432/superset?sslmode=require"
    "redis-url"       = "redis://:${google_redis_instance.cache.auth_string}@${google_redis_instance.cache.host}:${google_redis_instance.cache.port}/0"
  }
}

resource "google_secret_manager_secret" "app" {
  for_each  = local.secrets
  secret_id = "${local.name}-${each.key}"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "app" {
  for_each    = local.secrets
  secret      = google_secret_manager_secret.app[each.key].id
  secret_data = each.value
}

resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each  = local.secrets
  secret_id = google_secret_manager_secret.app[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}
