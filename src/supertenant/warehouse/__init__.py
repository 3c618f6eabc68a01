"""The tenant warehouse: the dataset contract every tenant must satisfy, and local DuckDB sample data.

`contract` is pure data and checks; `sample` generates deterministic Google Ads rows; `local` is the only
module here that touches DuckDB.
"""
