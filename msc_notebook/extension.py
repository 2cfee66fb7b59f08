"""``%load_ext msc_notebook`` / ``%unload_ext msc_notebook``: symmetric, and loading twice is harmless."""

from __future__ import annotations

_MAGIC_NAMES = ("presign", "presign_profiles", "presign_history", "presign_form")


def load_ipython_extension(shell) -> None:
    from .notebook import display
    from .notebook.magics import PresignMagics

    if any(isinstance(c, PresignMagics) for c in shell.configurables):
        return  # already loaded
    # register_magics also adds it to shell.configurables, which is what %config searches.
    shell.register_magics(PresignMagics(shell=shell, parent=shell))
    display.register(shell)


def unload_ipython_extension(shell) -> None:
    from .notebook import display
    from .notebook.magics import PresignMagics

    for name in _MAGIC_NAMES:
        shell.magics_manager.magics["line"].pop(name, None)
    shell.magics_manager.registry.pop(PresignMagics.__name__, None)
    shell.configurables[:] = [c for c in shell.configurables if not isinstance(c, PresignMagics)]
    display.unregister(shell)
