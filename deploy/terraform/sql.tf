# Cloud SQL Postgres: private IP only, daily backups, point-in-time recovery, deletion protection.
resource "google_sql_database_instance" "metadata" {
  name                = "${local.name}-metadata"
  database_version    = "POSTGRES_15"
  region              = var.region
  deletion_protection = var.deletion_protection
  depends_on          = [google_service_networking_connection.private_services]

  settings {
    tier              = var.db_tier
    edition           = "ENTERPRISE"
    availability_type = var.db_high_availability ? "REGIONAL" : "ZONAL"
    user_labels       = local.labels

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = google_compute_network.vpc.id
      enable_private_path_for_google_cloud_services = true
      ssl_mode                                      = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = "18:00" # 03:00 JST
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7
      backup_retention_settings {
        retained_backups = 30
        retention_unit   = "COUNT"
      }
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "1000"
    }

    insights_config {
      query_insights_enabled = true
    }
  }
}

resource "google_sql_database" "superset" {
  name     = "superset"
  instance = google_sql_database_instance.metadata.name
}

resource "random_password" "db" {
  length  = 32
  special = false
}

resource "google_sql_user" "superset" {
  name     = "superset"
  instance = google_sql_database_instance.metadata.name
  password = random_password.db.result
}
