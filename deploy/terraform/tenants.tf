# Per-tenant cloud resources, instantiated from tenants.auto.tfvars.json
# (`supertenant deploy render-tenants -f specs/ --out deploy/terraform/tenants.auto.tfvars.json`).
module "tenant" {
  source   = "./modules/tenant"
  for_each = var.tenants

  slug              = each.key
  env               = var.env
  project_id        = var.project_id
  data_project_id   = coalesce(each.value.bigquery_project, local.data_project)
  dataset_id        = each.value.bigquery_dataset
  location          = var.bigquery_location
  reader_account_id = each.value.reader_account_id
  sa_key_secret     = each.value.sa_key_secret
  runtime_sa_email  = google_service_account.runtime.email
  labels            = local.labels
}

# isolation: dedicated — the tenant's own Superset service and metadata database.
module "dedicated" {
  source   = "./modules/dedicated"
  for_each = local.dedicated

  slug             = each.key
  env              = var.env
  region           = var.region
  service_name     = each.value.dedicated.service_name
  database_name    = each.value.dedicated.database_name
  migrate_job_name = each.value.dedicated.migrate_job_name
  sql_instance     = google_sql_database_instance.metadata.name
  sql_private_ip   = google_sql_database_instance.metadata.private_ip_address
  redis_host       = google_redis_instance.cache.host
  redis_port       = google_redis_instance.cache.port
  redis_auth       = google_redis_instance.cache.auth_string
  redis_db         = local.dedicated_redis_db[each.key]
  image_web        = local.image.web
  image_ops        = local.image.ops
  runtime_sa_email = google_service_account.runtime.email
  network_id       = google_compute_network.vpc.id
  subnetwork_id    = google_compute_subnetwork.run.id
  labels           = merge(local.labels, { tenant = each.key })
}
