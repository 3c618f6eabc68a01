variable "project_id" {
  description = "The environment's GCP project"
  type        = string
}

variable "region" {
  description = "Region of Cloud Run, Cloud SQL and Memorystore"
  type        = string
  default     = "asia-northeast1"
}

variable "env" {
  description = "dev, stg or prod"
  type        = string
  validation {
    condition     = contains(["dev", "stg", "prod"], var.env)
    error_message = "env must be dev, stg or prod."
  }
}

variable "domain" {
  description = "Tenants get <name>.<domain>; a wildcard certificate covers them"
  type        = string
}

variable "image_registry" {
  description = "The shared Artifact Registry repository CI pushes every image to (one build, all envs)"
  type        = string
}

variable "image_tag" {
  description = "Image tag (the git SHA) deployed to every service and job"
  type        = string
}

variable "data_project_id" {
  description = "Project holding the tenants' BigQuery datasets (and where their jobs run); default: project_id"
  type        = string
  default     = null
}

variable "bigquery_location" {
  type    = string
  default = "asia-northeast1"
}

variable "db_tier" {
  type    = string
  default = "db-custom-2-7680"
}

variable "db_high_availability" {
  description = "REGIONAL (HA) Cloud SQL; on in prod"
  type        = bool
  default     = false
}

variable "redis_memory_gb" {
  type    = number
  default = 1
}

variable "web_min_instances" {
  type    = number
  default = 1
}

variable "web_max_instances" {
  type    = number
  default = 10
}

variable "worker_instances" {
  type    = number
  default = 1
}

variable "deletion_protection" {
  description = "Cloud SQL deletion protection; only a throw-away dev may turn it off"
  type        = bool
  default     = true
}

variable "github_repository" {
  description = "owner/name allowed to deploy through Workload Identity Federation"
  type        = string
}

variable "login_rate_limit_per_minute" {
  description = "POSTs to /login/ per client IP and minute before a 10-minute ban"
  type        = number
  default     = 20
}

variable "tenants" {
  description = "Rendered from the tenant specs by `supertenant deploy render-tenants` (tenants.auto.tfvars.json)"
  type = map(object({
    name              = string
    isolation         = string
    hostnames         = list(string)
    bigquery_project  = optional(string)
    bigquery_dataset  = string
    reader_account_id = string
    sa_key_secret     = bool
    dedicated = optional(object({
      service_name     = string
      database_name    = string
      migrate_job_name = string
    }))
  }))
  default = {}
}

variable "backup_location" {
  description = "Multi-region of the backup buckets: survives the loss of var.region"
  type        = string
  default     = "ASIA"
}

variable "backup_schedule" {
  description = "cron (UTC) of `supertenant backup`: the git backup's recovery point"
  type        = string
  default     = "0 * * * *"
}
