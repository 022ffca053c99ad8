"""Runs a function on a module right after it is first imported, without importing it early.

Flint's bootstrap adjusts `logging` (Lambda's log format) and `botocore.session` (endpoint URLs for
old botocore) only if the function imports them: importing either up front would cost every start
its import time.
"""
import sys


class _RunAfterImport:
    """A meta path finder that wraps the import of one module to call `then(module)` right after it."""

    def __init__(self, name, then):
        self._name = name
        self._then = then

    def find_spec(self, name, path=None, target=None):
        if name != self._name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module
        then = self._then

        def exec_then(module):
            exec_module(module)
            then(module)

        spec.loader.exec_module = exec_then
        return spec


def after_import(name, then):
    """Calls `then(module)` once `name` is imported (at once if it already is)."""
    if name in sys.modules:
        then(sys.modules[name])
    else:
        sys.meta_path.insert(0, _RunAfterImport(name, then))
