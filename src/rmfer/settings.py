"""Kedro settings: the base environment is the offline demo; `--env=paper` overlays real data.

Parameters merge softly: an environment's `parameters_*.yml` holds only the keys it changes, and
every other key comes from conf/base (where all defaults live). Catalog entries and globals are
replaced whole, so a dataset an environment redefines never inherits a base option it must not
have (the demo benchmark's `writable`)."""

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "merge_strategy": {"parameters": "soft"},
}
