# terraform plan -var-file=envs/dev.tfvars -var image_tag=<git sha>   (state: envs/dev.backend.hcl)
project_id           = "supertenant-dev"
region               = "asia-northeast1"
env                  = "dev"
domain               = "dev.analytics.example.com"
image_registry       = "asia-northeast1-docker.pkg.dev/supertenant-build/supertenant"
github_repository    = "example-org/supertenant"
web_min_instances    = 0
db_high_availability = false
deletion_protection  = false
redis_memory_gb      = 1
