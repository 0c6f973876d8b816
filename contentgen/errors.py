"""Domain exceptions: each names what went wrong, where, and what to do about it."""

from __future__ import annotations

from collections.abc import Sequence


class ContentgenError(Exception):
    """Base class for every error contentgen raises on purpose."""


class ConfigError(ContentgenError):
    """A settings, mapping or rules file is invalid.

    ``problems`` holds each problem on its own ("key: what is wrong; fix: ..."), for a UI that
    lists them; the message joins them with the file's name.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


class DataError(ContentgenError):
    """An input file cannot be read as the mapping says.

    The message names the file, the line, the column, the bad value and the fix.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.value = value


class NotFittedError(ContentgenError):
    """A model or index was used before it was fitted or built."""


class ModelNotInstalled(ContentgenError):
    """A packaged model's PyPI package is missing; the message names the install command."""


class TemplateError(ContentgenError):
    """A prompt template is invalid (front matter, syntax, unknown variable)."""


class IndexMismatchError(ContentgenError):
    """A saved index was built with another embedding model or dimension."""
