from supertenant.superset_ext.config import build_superset_config

globals().update(build_superset_config())
