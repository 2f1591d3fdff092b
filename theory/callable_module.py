"""Modules that can be called like their main function.

``widthlimits.theory.classify`` and ``widthlimits.theory.derivation`` are modules whose main
function has the module's name.  The package exports the names ``classify`` and ``derivation``
for notebooks (``from widthlimits.theory import classify``); since Python binds a submodule as
an attribute of its package, that name would be the module or the function depending on import
order.  Making the module callable removes the ambiguity without breaking any import form
(``import widthlimits.theory.derivation.render_latex as r`` still works): calling the module calls
the function, and the module's other names stay reachable as attributes.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


class CallableModule(types.ModuleType):
    """A module whose call is its ``__main_function__``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["__main_function__"](*args, **kwargs)


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Let the module ``module_name`` be called as ``function``."""
    module = sys.modules[module_name]
    module.__dict__["__main_function__"] = function
    module.__class__ = CallableModule
