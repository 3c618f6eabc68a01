# terraform plan -var-file=envs/stg.tfvars -var image_tag=<git sha>   (state: envs/stg.backend.hcl)
project_id           = "supertenant-stg"
region               = "asia-northeast1"
env                  = "stg"
domain               = "stg.analytics.example.com"
image_registry       = "asia-northeast1-docker.pkg.dev/supertenant-build/supertenant"
github_repository    = "example-org/supertenant"
web_min_instances    = 1
db_high_availability = false
deletion_protection  = true
redis_memory_gb      = 1
