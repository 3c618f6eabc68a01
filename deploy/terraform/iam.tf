# Service accounts: one for Superset (web, worker, beat, jobs), one for chat, one for CI deploys.
resource "google_service_account" "runtime" {
  account_id   = "${local.name}-run"
  display_name = "supertenant ${var.env}: Superset web, worker, beat and jobs"
}

resource "google_service_account" "chat" {
  account_id   = "${local.name}-chat"
  display_name = "supertenant ${var.env}: chat service"
}

resource "google_service_account" "deployer" {
  account_id   = "${local.name}-deploy"
  display_name = "supertenant ${var.env}: GitHub Actions deploys (Workload Identity Federation, no keys)"
}

resource "google_project_iam_member" "runtime" {
  for_each = toset(["roles/cloudsql.client", "roles/logging.logWriter", "roles/monitoring.metricWriter"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_project_iam_member" "chat" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.chat.email}"
}

resource "google_project_iam_member" "deployer" {
  for_each = toset(["roles/run.developer", "roles/cloudsql.editor"]) # revisions, jobs, on-demand backups
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.deployer.email}"
}

# The deployer deploys revisions that run as these accounts.
resource "google_service_account_iam_member" "deployer_acts_as" {
  for_each           = { runtime = google_service_account.runtime.name, chat = google_service_account.chat.name }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}

# -- Workload Identity Federation: GitHub's OIDC token, restricted to this repository ----------------

resource "google_iam_workload_identity_pool" "github" {
  workload_identity_pool_id = "${local.name}-github"
  display_name              = "GitHub Actions (${var.env})"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  attribute_mapping = {
    "google.subject"        = "assertion.sub"
    "attribute.repository"  = "assertion.repository"
    "attribute.ref"         = "assertion.ref"
    "attribute.environment" = "assertion.environment"
  }
  attribute_condition = "assertion.repository == '${var.github_repository}'"
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

# Only jobs running in this environment's GitHub environment may act as the deployer.
resource "google_service_account_iam_member" "deployer_wif" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.environment/${var.env}"
}
