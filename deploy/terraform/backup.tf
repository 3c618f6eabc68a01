# Backups that outlive the region: the secret-free git repository and the metadata DB dumps,
# each in its own multi-region bucket (different readers: the dumps hold secrets), written by
# the `backup` job on a schedule. Cloud SQL's own backups and PITR are in sql.tf.
resource "google_storage_bucket" "backup" {
  for_each                    = { repo = "backup", dumps = "dumps" }
  name                        = "${var.project_id}-${each.value}"
  location                    = var.backup_location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 30
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "backup_writer" {
  for_each = google_storage_bucket.backup
  bucket   = each.value.name
  role     = "roles/storage.objectAdmin"
  member   = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_service_account" "scheduler" {
  account_id   = "${local.name}-sched"
  display_name = "supertenant ${var.env}: runs the backup job on schedule"
}

resource "google_cloud_run_v2_job_iam_member" "scheduler" {
  name     = google_cloud_run_v2_job.ops["backup"].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

resource "google_cloud_scheduler_job" "backup" {
  name      = "${local.name}-backup"
  region    = var.region
  schedule  = var.backup_schedule
  time_zone = "Etc/UTC"
  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.ops["backup"].id}:run"
    oauth_token {
      service_account_email = google_service_account.scheduler.email
    }
  }
}
