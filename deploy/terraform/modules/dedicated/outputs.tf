output "service_name" {
  value = google_cloud_run_v2_service.web.name
}

output "url" {
  value = google_cloud_run_v2_service.web.uri
}

output "migrate_job" {
  value = google_cloud_run_v2_job.migrate.name
}
