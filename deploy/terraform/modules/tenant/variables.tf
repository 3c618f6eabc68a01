variable "slug" {
  type = string
}

variable "env" {
  type = string
}

variable "project_id" {
  description = "Where the reader account and its key secret live"
  type        = string
}

variable "data_project_id" {
  description = "Where the tenant's dataset lives and its query jobs run"
  type        = string
}

variable "dataset_id" {
  type = string
}

variable "location" {
  type = string
}

variable "reader_account_id" {
  type = string
}

variable "sa_key_secret" {
  description = "Create a key for the reader and keep it in Secret Manager (the spec's credentials_secret)"
  type        = bool
  default     = true
}

variable "runtime_sa_email" {
  description = "Superset's runtime account: may impersonate the reader (keyless) and read its key secret"
  type        = string
}

variable "labels" {
  type    = map(string)
  default = {}
}
