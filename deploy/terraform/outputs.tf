output "lb_ip" {
  description = "Point *.<domain> (A record) here"
  value       = google_compute_global_address.lb.address
}

output "dns_authorization_record" {
  description = "CNAME that proves domain ownership for the wildcard certificate"
  value       = google_certificate_manager_dns_authorization.wildcard.dns_resource_record
}

output "web_url" {
  value = google_cloud_run_v2_service.superset["web"].uri
}

output "migrate_job" {
  value = google_cloud_run_v2_job.ops["migrate"].name
}

output "deployer_service_account" {
  value = google_service_account.deployer.email
}

output "workload_identity_provider" {
  description = "GitHub secret GCP_WORKLOAD_IDENTITY_PROVIDER"
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "dedicated_superset_urls" {
  description = "Where `tenant apply` targets each dedicated tenant (supertenant deploy superset-url)"
  value       = { for slug, m in module.dedicated : slug => m.url }
}

output "tenant_reader_accounts" {
  value = { for slug, m in module.tenant : slug => m.reader_email }
}
