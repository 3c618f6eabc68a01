# Global external HTTPS load balancer: *.<domain> → web (or a dedicated tenant's own Superset),
# /chat/* → chat. Wildcard certificate from Certificate Manager with DNS authorization.
resource "google_compute_global_address" "lb" {
  name = "${local.name}-lb"
}

resource "google_compute_region_network_endpoint_group" "serverless" {
  for_each              = merge({ web = google_cloud_run_v2_service.superset["web"].name, chat = google_cloud_run_v2_service.chat.name }, { for slug, m in module.dedicated : "tenant-${slug}" => m.service_name })
  name                  = "${local.name}-${each.key}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"
  cloud_run {
    service = each.value
  }
}

resource "google_compute_backend_service" "serverless" {
  for_each              = google_compute_region_network_endpoint_group.serverless
  name                  = "${local.name}-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.edge.id
  log_config {
    enable      = true
    sample_rate = 1.0
  }
  backend {
    group = each.value.id
  }
}

resource "google_compute_url_map" "https" {
  name            = "${local.name}-https"
  default_service = google_compute_backend_service.serverless["web"].id

  host_rule {
    hosts        = ["*.${var.domain}"]
    path_matcher = "shared"
  }
  path_matcher {
    name            = "shared"
    default_service = google_compute_backend_service.serverless["web"].id
    path_rule {
      paths   = ["/chat", "/chat/*"]
      service = google_compute_backend_service.serverless["chat"].id
    }
  }

  # isolation: dedicated — the tenant's hostnames go to its own Superset.
  dynamic "host_rule" {
    for_each = local.dedicated
    content {
      hosts        = host_rule.value.hostnames
      path_matcher = "tenant-${host_rule.key}"
    }
  }
  dynamic "path_matcher" {
    for_each = local.dedicated
    content {
      name            = "tenant-${path_matcher.key}"
      default_service = google_compute_backend_service.serverless["tenant-${path_matcher.key}"].id
      path_rule {
        paths   = ["/chat", "/chat/*"]
        service = google_compute_backend_service.serverless["chat"].id
      }
    }
  }
}

resource "google_certificate_manager_dns_authorization" "wildcard" {
  name   = "${local.name}-dns-auth"
  domain = var.domain
}

resource "google_certificate_manager_certificate" "wildcard" {
  name = "${local.name}-wildcard"
  managed {
    domains            = [var.domain, "*.${var.domain}"]
    dns_authorizations = [google_certificate_manager_dns_authorization.wildcard.id]
  }
}

resource "google_certificate_manager_certificate_map" "lb" {
  name = "${local.name}-certs"
}

resource "google_certificate_manager_certificate_map_entry" "wildcard" {
  name         = "${local.name}-wildcard"
  map          = google_certificate_manager_certificate_map.lb.name
  certificates = [google_certificate_manager_certificate.wildcard.id]
  hostname     = "*.${var.domain}"
}

resource "google_compute_target_https_proxy" "lb" {
  name            = "${local.name}-https"
  url_map         = google_compute_url_map.https.id
  certificate_map = "//certificatemanager.googleapis.com/${google_certificate_manager_certificate_map.lb.id}"
  ssl_policy      = google_compute_ssl_policy.modern.id
}

resource "google_compute_ssl_policy" "modern" {
  name            = "${local.name}-tls12"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "${local.name}-https"
  target                = google_compute_target_https_proxy.lb.id
  ip_address            = google_compute_global_address.lb.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# Plain HTTP only redirects.
resource "google_compute_url_map" "redirect" {
  name = "${local.name}-redirect"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "${local.name}-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "${local.name}-http"
  target                = google_compute_target_http_proxy.redirect.id
  ip_address            = google_compute_global_address.lb.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
