# Memorystore: cache, Celery broker, rate-limit storage. AUTH on; reached over Direct VPC egress.
resource "google_redis_instance" "cache" {
  name                    = "${local.name}-cache"
  tier                    = var.env == "prod" ? "STANDARD_HA" : "BASIC"
  memory_size_gb          = var.redis_memory_gb
  region                  = var.region
  redis_version           = "REDIS_7_2"
  authorized_network      = google_compute_network.vpc.id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "DISABLED" # the app has no CA bundle handling for rediss:// yet (docs/deploy.md)
  labels                  = local.labels
  depends_on              = [google_service_networking_connection.private_services]
}
