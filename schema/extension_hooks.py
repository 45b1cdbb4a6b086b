"""Strawberry's schema-extension hooks, wrapped once per extension class instead of once
per request.

For every request and every lifecycle step, Strawberry wraps each extension's generator
hook in `contextlib.contextmanager` anew (`functools.update_wrapper` and all): in py-spy
profiles of `{ keyMetrics { … } }` with a key, that wrapping was a tenth of the request.
The wrapper depends only on the extension's class, so it is made once and bound to each
request's extension instance; the hooks run exactly as before, in the same order and with
the same exception handling (`contextlib`'s own context manager).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

_NOT_A_GENERATOR = object()
_wrapped: dict[tuple[type[SchemaExtension], str], Any] = {}


def _wrapper(cls: type[SchemaExtension], hook_name: str) -> Any:
    """The class's hook as a context manager factory; None without a hook of its own."""
    key = (cls, hook_name)
    if key not in _wrapped:
        hook: Callable[..., Any] = getattr(cls, hook_name)
        if hook is getattr(SchemaExtension, hook_name):
            _wrapped[key] = None
        elif inspect.isgeneratorfunction(hook):
            _wrapped[key] = contextlib.contextmanager(hook)
        else:  # async generators and plain callables: Strawberry's own wrapping
            _wrapped[key] = _NOT_A_GENERATOR
    return _wrapped[key]


class _HooksWrappedOnce(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        wrapper = _wrapper(type(extension), self.HOOK_NAME)
        if wrapper is None:
            return None
        if wrapper is _NOT_A_GENERATOR:
            return super().get_hook(extension)
        return WrappedHook(
            extension=extension, hook=functools.partial(wrapper, extension), is_async=False
        )


class _Operation(_HooksWrappedOnce, OperationContextManager):
    pass


class _Validation(_HooksWrappedOnce, ValidationContextManager):
    pass


class _Parsing(_HooksWrappedOnce, ParsingContextManager):
    pass


class _Executing(_HooksWrappedOnce, ExecutingContextManager):
    pass


class ExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
