# terraform plan -var-file=envs/prod.tfvars -var image_tag=<git sha>   (state: envs/prod.backend.hcl)
project_id           = "supertenant-prod"
region               = "asia-northeast1"
env                  = "prod"
domain               = "analytics.example.com"
image_registry       = "asia-northeast1-docker.pkg.dev/supertenant-build/supertenant"
github_repository    = "example-org/supertenant"
web_min_instances    = 2
db_high_availability = true
deletion_protection  = true
redis_memory_gb      = 5
