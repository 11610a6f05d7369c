"""Kedro datasets the project needs beyond kedro-datasets."""
