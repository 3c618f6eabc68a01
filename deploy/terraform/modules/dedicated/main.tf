# isolation: dedicated — one tenant's own Superset: its own metadata database (and user) on the
# environment's Cloud SQL instance, its own SECRET_KEY, its own Cloud Run service and migration
# job, the same images. The load balancer sends the tenant's hostnames here.
resource "google_sql_database" "metadata" {
  name     = var.database_name
  instance = var.sql_instance
}

resource "random_password" "db" {
  length  = 32
  special = false
}

resource "google_sql_user" "metadata" {
  name     = var.database_name
  instance = var.sql_instance
  password = random_password.db.result
}

resource "random_password" "secret_key" {
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
    "admin-password"  = random_password.admin.result
    "metadata-db-url" = "postgresql+psycopg2://${var.database_name}:${random_password.db.result}@${var.sql_private_ip}:5432/${var.database_name}?sslmode=require"
    "redis-url"       = "redis://:${var.redis_auth}@${var.redis_host}:${var.redis_port}/${var.redis_db}"
  }
  secret_env = {
    SUPERTENANT_SECRET_KEY             = "secret-key"
    SUPERTENANT_GUEST_TOKEN_JWT_SECRET = "secret-key"
    SUPERTENANT_ADMIN_PASSWORD         = "admin-password"
    SUPERTENANT_METADATA_DB_URL        = "metadata-db-url"
    SUPERTENANT_REDIS_URL              = "redis-url"
  }
}

resource "google_secret_manager_secret" "instance" {
  for_each  = local.secrets
  secret_id = "supertenant-${var.env}-tenant-${var.slug}-${each.key}"
  labels    = var.labels
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "instance" {
  for_each    = local.secrets
  secret      = google_secret_manager_secret.instance[each.key].id
  secret_data = each.value
}

resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each  = local.secrets
  secret_id = google_secret_manager_secret.instance[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.runtime_sa_email}"
}

resource "google_cloud_run_v2_service" "web" {
  name                = var.service_name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = false
  labels              = var.labels

  # CI rolls images out (migrations first, then traffic); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  template {
    service_account                  = var.runtime_sa_email
    max_instance_request_concurrency = 40
    timeout                          = "300s"
    scaling {
      min_instance_count = var.min_instances
      max_instance_count = 5
    }
    vpc_access {
      network_interfaces {
        network    = var.network_id
        subnetwork = var.subnetwork_id
      }
      egress = "PRIVATE_RANGES_ONLY"
    }
    containers {
      image = var.image_web
      ports {
        container_port = 8088
      }
      resources {
        limits            = { cpu = "2", memory = "4Gi" }
        startup_cpu_boost = true
      }
      env {
        name  = "SUPERTENANT_ENV"
        value = var.env
      }
      dynamic "env" {
        for_each = local.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.instance[env.value].secret_id
              version = "latest"
            }
          }
        }
      }
      startup_probe {
        http_get {
          path = "/health"
        }
        period_seconds    = 5
        failure_threshold = 24
      }
    }
  }
  depends_on = [google_secret_manager_secret_iam_member.runtime]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  name     = google_cloud_run_v2_service.web.name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_job" "migrate" {
  name                = var.migrate_job_name
  location            = var.region
  deletion_protection = false
  labels              = var.labels

  # CI rolls images out (migrations first, then traffic); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  template {
    template {
      service_account = var.runtime_sa_email
      max_retries     = 0
      timeout         = "1800s"
      vpc_access {
        network_interfaces {
          network    = var.network_id
          subnetwork = var.subnetwork_id
        }
        egress = "PRIVATE_RANGES_ONLY"
      }
      containers {
        image   = var.image_ops
        command = ["sh", "/app/migrate.sh"]
        env {
          name  = "SUPERTENANT_ENV"
          value = var.env
        }
        dynamic "env" {
          for_each = local.secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = google_secret_manager_secret.instance[env.value].secret_id
                version = "latest"
              }
            }
          }
        }
      }
    }
  }
}
