# Cloud Armor. Superset's chart-data, SQL Lab and dataset bodies *are* SQL, and so are the
# provisioning engine's chart params and RLS clauses: the preconfigured SQLi/XSS rules would
# block every chart and every `tenant apply`. They skip exactly those authenticated API paths
# (Superset's own checks and the tenant guard apply there) and apply everywhere else —
# the login form, static pages, everything unauthenticated.
locals {
  sql_bearing_paths = "request.path.matches('^/(api/v1/(chart|sqllab|dataset|database|rowlevelsecurity|dashboard|assets|supertenant)/|superset/explore_json/|chat/)')"
}

resource "google_compute_security_policy" "edge" {
  name = "${local.name}-edge"
  type = "CLOUD_ARMOR"

  advanced_options_config {
    json_parsing = "STANDARD"
    log_level    = "NORMAL"
  }

  rule {
    action      = "rate_based_ban"
    priority    = 1000
    description = "Login brute force: ban a client IP for 10 minutes"
    match {
      expr {
        expression = "request.path.matches('^/login/?$') && request.method == 'POST'"
      }
    }
    rate_limit_options {
      conform_action   = "allow"
      exceed_action    = "deny(429)"
      enforce_on_key   = "IP"
      ban_duration_sec = 600
      rate_limit_threshold {
        count        = var.login_rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 2000
    description = "SQL injection (not on the paths whose bodies are SQL)"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1}) && !${local.sql_bearing_paths}"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 2100
    description = "Cross-site scripting (not on the paths whose bodies are SQL)"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1}) && !${local.sql_bearing_paths}"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 2200
    description = "Local/remote file inclusion, scanners, protocol attacks"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1}) || evaluatePreconfiguredWaf('scannerdetection-v33-stable', {'sensitivity': 1}) || evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "default"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}
