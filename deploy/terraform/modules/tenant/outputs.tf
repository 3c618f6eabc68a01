output "reader_email" {
  value = google_service_account.reader.email
}

output "dataset_id" {
  value = google_bigquery_dataset.tenant.dataset_id
}

output "key_secret_id" {
  description = "Secret Manager secret holding the reader's key, or null when keyless"
  value       = var.sa_key_secret ? google_secret_manager_secret.key[0].secret_id : null
}
