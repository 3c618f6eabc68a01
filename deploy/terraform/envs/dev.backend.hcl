bucket = "supertenant-dev-tfstate"
prefix = "supertenant/dev"
