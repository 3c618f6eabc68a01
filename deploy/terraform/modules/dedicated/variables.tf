variable "slug" {
  type = string
}

variable "env" {
  type = string
}

variable "region" {
  type = string
}

variable "service_name" {
  type = string
}

variable "database_name" {
  type = string
}

variable "migrate_job_name" {
  type = string
}

variable "sql_instance" {
  description = "The environment's Cloud SQL instance; the tenant gets its own database and user on it"
  type        = string
}

variable "sql_private_ip" {
  type = string
}

variable "redis_host" {
  type = string
}

variable "redis_port" {
  type = number
}

variable "redis_auth" {
  type      = string
  sensitive = true
}

variable "redis_db" {
  description = "Redis database number of this instance (0 is the shared Superset's)"
  type        = number
}

variable "image_web" {
  type = string
}

variable "image_ops" {
  type = string
}

variable "runtime_sa_email" {
  type = string
}

variable "network_id" {
  type = string
}

variable "subnetwork_id" {
  type = string
}

variable "min_instances" {
  type    = number
  default = 1
}

variable "labels" {
  type    = map(string)
  default = {}
}
