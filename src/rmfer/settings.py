"""Kedro settings: the base environment is the offline demo; `--env=paper` overlays real data."""

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
