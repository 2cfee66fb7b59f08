"""``%load_ext msc_notebook`` / ``%unload_ext msc_notebook``: symmetric, and loading twice is harmless."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

_MAGIC_NAMES = ("presign", "presign_profiles", "presign_history", "presign_form")


def load_ipython_extension(shell: InteractiveShell) -> None:
    from . import _display as display
    from ._magics import PresignMagics

    if any(isinstance(c, PresignMagics) for c in shell.configurables):
        return  # already loaded
    # %config finds configurables in shell.configurables; register_magics does not add it there:
    # Magics.__init__ does (IPython's Magics constructor appends itself when given a shell).
    shell.register_magics(PresignMagics(shell=shell, parent=shell))
    display.register(shell)


def unload_ipython_extension(shell: InteractiveShell) -> None:
    from . import _display as display
    from ._magics import PresignMagics

    for name in _MAGIC_NAMES:
        shell.magics_manager.magics["line"].pop(name, None)
    shell.magics_manager.registry.pop(PresignMagics.__name__, None)
    shell.configurables[:] = [c for c in shell.configurables if not isinstance(c, PresignMagics)]
    display.unregister(shell)
