bucket = "supertenant-prod-tfstate"
prefix = "supertenant/prod"
