"""Transitional alias: the e2e helpers moved to tests/wsgatekit (the one test kit shared with
conformance, the SDK suites, soak and the container test). `from helpers.X import ...` in a test
written before the move still works and gets the very same module objects as wsgatekit.X; new code
imports wsgatekit. Delete this package once no branch in flight uses `helpers`."""
import importlib
import pkgutil
import sys

import wsgatekit as _kit

__path__ = []  # nothing is loaded from here: every submodule is wsgatekit's
for _info in pkgutil.iter_modules(_kit.__path__):
    if not _info.ispkg and not _info.name.startswith("__"):
        globals()[_info.name] = sys.modules[f"{__name__}.{_info.name}"] = \
            importlib.import_module(f"wsgatekit.{_info.name}")
