"""Operations: backup to git, restore into an empty Superset, tenant export, deploy rendering."""
