locals {
  name         = "supertenant-${var.env}"
  data_project = coalesce(var.data_project_id, var.project_id)
  image        = { for t in ["web", "worker", "beat", "ops", "chat"] : t => "${var.image_registry}/${t}:${var.image_tag}" }
  labels       = { app = "supertenant", env = var.env }
  dedicated    = { for slug, t in var.tenants : slug => t if t.dedicated != null }
  # Redis DB 0 is the shared instance's; dedicated instances get 1, 2, … in slug order.
  dedicated_redis_db = { for i, slug in sort(keys(local.dedicated)) : slug => i + 1 }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "run.googleapis.com", "sqladmin.googleapis.com", "redis.googleapis.com", "secretmanager.googleapis.com",
    "compute.googleapis.com", "servicenetworking.googleapis.com", "certificatemanager.googleapis.com",
    "bigquery.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "cloudscheduler.googleapis.com", "storage.googleapis.com",
    "sts.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

# -- network: private IP for Cloud SQL and Memorystore, reached by Direct VPC egress ----------------

resource "google_compute_network" "vpc" {
  name                    = local.name
  auto_create_subnetworks = false
  depends_on              = [google_project_service.apis]
}

resource "google_compute_subnetwork" "run" {
  name                     = "${local.name}-run"
  network                  = google_compute_network.vpc.id
  region                   = var.region
  ip_cidr_range            = "10.10.0.0/24"
  private_ip_google_access = true
}

resource "google_compute_global_address" "private_services" {
  name          = "${local.name}-private-services"
  network       = google_compute_network.vpc.id
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.vpc.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

# Egress to the internet for what runs with all traffic through the VPC (chat → an LLM endpoint;
# jobs and chat reach the internal-ingress web service through the VPC).
resource "google_compute_router" "nat" {
  name    = "${local.name}-nat"
  network = google_compute_network.vpc.id
  region  = var.region
}

resource "google_compute_router_nat" "nat" {
  name                               = "${local.name}-nat"
  router                             = google_compute_router.nat.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"
}
