# Cloud Run: web and chat behind the load balancer; worker and beat always on (CPU not throttled,
# fixed instance count, beat exactly one); migrate and backup as jobs that CI or a scheduler runs.
locals {
  secret_env = {
    SUPERTENANT_SECRET_KEY             = "secret-key"
    SUPERTENANT_GUEST_TOKEN_JWT_SECRET = "guest-token-jwt"
    SUPERTENANT_METADATA_DB_URL        = "metadata-db-url"
    SUPERTENANT_REDIS_URL              = "redis-url"
    SUPERTENANT_ADMIN_PASSWORD         = "admin-password"
  }
  plain_env = {
    SUPERTENANT_ENV       = var.env
    SUPERTENANT_PROXY_FIX = "true"
    SUPERTENANT_LOG_LEVEL = "INFO"
  }
  superset_services = {
    web    = { image = local.image.web, min = var.web_min_instances, max = var.web_max_instances, always_on = false, ingress = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" }
    worker = { image = local.image.worker, min = var.worker_instances, max = var.worker_instances, always_on = true, ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY" }
    beat   = { image = local.image.beat, min = 1, max = 1, always_on = true, ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY" }
  }
}

resource "google_cloud_run_v2_service" "superset" {
  for_each            = local.superset_services
  name                = "${local.name}-${each.key}"
  location            = var.region
  ingress             = each.value.ingress
  deletion_protection = false
  labels              = local.labels

  # CI rolls images out (migrations first, then traffic); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  template {
    service_account                  = google_service_account.runtime.email
    max_instance_request_concurrency = each.key == "web" ? 40 : 1
    timeout                          = "300s"
    scaling {
      min_instance_count = each.value.min
      max_instance_count = each.value.max
    }
    vpc_access {
      network_interfaces {
        network    = google_compute_network.vpc.id
        subnetwork = google_compute_subnetwork.run.id
      }
      egress = "PRIVATE_RANGES_ONLY"
    }
    containers {
      image = each.value.image
      ports {
        container_port = 8088
      }
      resources {
        limits            = { cpu = "2", memory = "4Gi" }
        cpu_idle          = !each.value.always_on
        startup_cpu_boost = true
      }
      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = local.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.app[env.value].secret_id
              version = "latest"
            }
          }
        }
      }
      startup_probe {
        http_get {
          path = each.key == "web" ? "/health" : "/"
        }
        initial_delay_seconds = 5
        period_seconds        = 5
        failure_threshold     = 24
      }
      liveness_probe {
        http_get {
          path = each.key == "web" ? "/health" : "/"
        }
        period_seconds = 30
      }
    }
  }
  depends_on = [google_secret_manager_secret_iam_member.runtime, google_project_iam_member.runtime]
}

resource "google_cloud_run_v2_service" "chat" {
  name                = "${local.name}-chat"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = false
  labels              = local.labels

  # CI rolls images out (migrations first, then traffic); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  template {
    service_account = google_service_account.chat.email
    scaling {
      min_instance_count = 0
      max_instance_count = 5
    }
    # All traffic through the VPC: the web service's ingress is internal + load balancer only.
    vpc_access {
      network_interfaces {
        network    = google_compute_network.vpc.id
        subnetwork = google_compute_subnetwork.run.id
      }
      egress = "ALL_TRAFFIC"
    }
    containers {
      image = local.image.chat
      ports {
        container_port = 8080
      }
      env {
        name  = "SUPERTENANT_ENV"
        value = var.env
      }
      env {
        name  = "SUPERTENANT_SUPERSET_URL"
        value = google_cloud_run_v2_service.superset["web"].uri
      }
      startup_probe {
        http_get {
          path = "/healthz"
        }
      }
    }
  }
}

# The load balancer is the only way in (ingress above); it calls without Google identity.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = { web = google_cloud_run_v2_service.superset["web"].name, chat = google_cloud_run_v2_service.chat.name }
  name     = each.value
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}

locals {
  # command + args: `gcloud run jobs execute … --args=…` replaces the args, e.g. for a restore.
  ops_jobs = {
    migrate = { command = ["sh"], args = ["/app/migrate.sh"] }
    backup  = { command = ["supertenant"], args = ["backup", "--repo", "/mnt/backup/repo", "--dump-dir", "/mnt/dumps"] }
  }
}

resource "google_cloud_run_v2_job" "ops" {
  for_each            = local.ops_jobs
  name                = "${local.name}-${each.key}"
  location            = var.region
  deletion_protection = false
  labels              = local.labels

  # CI rolls images out (migrations first, then traffic); Terraform owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  template {
    task_count = 1
    template {
      service_account       = google_service_account.runtime.email
      max_retries           = each.key == "migrate" ? 0 : 1
      timeout               = "1800s"
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2" # Cloud Storage volumes
      # All traffic through the VPC: the CLI reaches the internal-ingress web service this way.
      vpc_access {
        network_interfaces {
          network    = google_compute_network.vpc.id
          subnetwork = google_compute_subnetwork.run.id
        }
        egress = "ALL_TRAFFIC"
      }
      containers {
        image   = local.image.ops
        command = each.value.command
        args    = each.value.args
        env {
          name  = "SUPERTENANT_SUPERSET_URL"
          value = google_cloud_run_v2_service.superset["web"].uri
        }
        dynamic "env" {
          for_each = local.plain_env
          content {
            name  = env.key
            value = env.value
          }
        }
        dynamic "env" {
          for_each = local.secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = google_secret_manager_secret.app[env.value].secret_id
                version = "latest"
              }
            }
          }
        }
        volume_mounts {
          name       = "backup"
          mount_path = "/mnt/backup"
        }
        volume_mounts {
          name       = "dumps"
          mount_path = "/mnt/dumps"
        }
        # Per-tenant BigQuery keys, for `tenant apply` run as this job (spec: credentials_file).
        dynamic "volume_mounts" {
          for_each = { for slug, t in module.tenant : slug => t if t.key_secret_id != null }
          content {
            name       = "key-${volume_mounts.key}"
            mount_path = "/secrets/tenants/${volume_mounts.key}"
          }
        }
      }
      volumes {
        name = "backup"
        gcs {
          bucket    = google_storage_bucket.backup["repo"].name
          read_only = false
        }
      }
      volumes {
        name = "dumps"
        gcs {
          bucket    = google_storage_bucket.backup["dumps"].name
          read_only = false
        }
      }
      dynamic "volumes" {
        for_each = { for slug, t in module.tenant : slug => t if t.key_secret_id != null }
        content {
          name = "key-${volumes.key}"
          secret {
            secret = volumes.value.key_secret_id
            items {
              version = "latest"
              path    = "key.json"
            }
          }
        }
      }
    }
  }
}
