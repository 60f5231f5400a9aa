"""Every module in this package named `arm*.py (SQL rules)` defines one rule; importing them registers them."""
from __future__ import annotations

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if _info.name.startswith("arm"):
        importlib.import_module(f"{__name__}.{_info.name}")
