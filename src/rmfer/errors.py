"""The one root of every error RMFER raises on purpose, in the manner of Kedro's `DatasetError`.

Catch `RmferError` to catch anything the project reports about its inputs or parameters. Each
subclass mixes in the built-in type its callers already expect (`ValueError` for bad values,
`FileNotFoundError` for a missing file, `RuntimeError` for a stage that cannot go on), so
`except ValueError` keeps working where it did before.
"""

from __future__ import annotations


class RmferError(Exception):
    """Base class of the project's errors: the message says what is wrong and what to do."""


class ParameterError(RmferError, ValueError):
    """A parameter is missing, unknown or out of range; the message names its YAML key."""


class InputError(RmferError, ValueError):
    """An input file or table is malformed; the message names the file or row."""


class MissingInputError(RmferError, FileNotFoundError):
    """An input that a stage needs is not where the configuration says it is."""


class StageError(RmferError, RuntimeError):
    """A stage cannot go on (for example: not one video could be processed)."""
