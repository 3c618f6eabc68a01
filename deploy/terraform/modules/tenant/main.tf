# One tenant's BigQuery side: its dataset, a reader account that can see only that dataset and
# run jobs (labelled and capped by the app), and optionally that account's key in Secret Manager.
resource "google_bigquery_dataset" "tenant" {
  project                    = var.data_project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "supertenant ${var.env}: contract views of tenant ${var.slug}"
  delete_contents_on_destroy = false
  labels                     = merge(var.labels, { tenant = var.slug })
}

resource "google_service_account" "reader" {
  project      = var.project_id
  account_id   = var.reader_account_id
  display_name = "BigQuery reader for tenant ${var.slug} (${var.env})"
}

# Dataset-level read: this tenant's dataset and nothing else.
resource "google_bigquery_dataset_iam_member" "reader" {
  project    = var.data_project_id
  dataset_id = google_bigquery_dataset.tenant.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.reader.email}"
}

resource "google_project_iam_member" "jobs" {
  for_each = toset(["roles/bigquery.jobUser", "roles/bigquery.readSessionUser"])
  project  = var.data_project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.reader.email}"
}

# Keyless path: the runtime account may mint tokens for the reader.
resource "google_service_account_iam_member" "impersonate" {
  service_account_id = google_service_account.reader.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${var.runtime_sa_email}"
}

# Key path (what the spec's credentials_secret points at). The key is in Terraform state too:
# keep the state bucket as restricted as the secret (docs/deploy.md).
resource "google_service_account_key" "reader" {
  count              = var.sa_key_secret ? 1 : 0
  service_account_id = google_service_account.reader.name
}

resource "google_secret_manager_secret" "key" {
  count     = var.sa_key_secret ? 1 : 0
  project   = var.project_id
  secret_id = "tenant-${var.slug}-bq-key"
  labels    = merge(var.labels, { tenant = var.slug })
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "key" {
  count       = var.sa_key_secret ? 1 : 0
  secret      = google_secret_manager_secret.key[0].id
  secret_data = base64decode(google_service_account_key.reader[0].private_key)
}

resource "google_secret_manager_secret_iam_member" "runtime" {
  count     = var.sa_key_secret ? 1 : 0
  secret_id = google_secret_manager_secret.key[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.runtime_sa_email}"
}
