bucket = "supertenant-stg-tfstate"
prefix = "supertenant/stg"
