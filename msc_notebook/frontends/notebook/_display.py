"""Rich display of signed results in IPython, registered by %load_ext and removed by %unload_ext.

The signer library stays free of IPython: instead of display methods on
PresignedURL, this module registers display functions for its type with IPython.
A result shown by %presign is not shown a second time when the same cell's
value is the result (``%presign ...`` as the last line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from msc_notebook import PresignRequest, SignedResult

# Registered by module and name, so %load_ext imports none of the library; a share is a PresignedURL.
_DISPLAYED_TYPES = (
    ("msc_notebook.core._result", "PresignedURL"),
    ("msc_notebook.core._result", "SignedCookies"),
    ("msc_notebook.core._post", "PresignedPost"),
    ("msc_notebook.core._multipart", "MultipartUpload"),
)
_shown: dict[int, int] = {}  # id(result) -> execution count it was shown in


def show(
    result: SignedResult, *, request: PresignRequest | None = None, compact: bool = False
) -> None:
    """Display the result widget (with its static HTML/text fallback); with the ``request``
    that made it, the widget can sign it again once it runs out."""
    from IPython.display import display

    from ._result_widget import PresignResultWidget

    display(PresignResultWidget.for_result(result, request=request, compact=compact))
    mark_shown(result)


def mark_shown(result: SignedResult) -> None:
    """Count ``result`` as shown in this cell (by the widget, or as text), so the cell's
    value does not show it again."""
    shell = _shell()
    if shell is not None:
        _shown[id(result)] = shell.execution_count


def _ipython_display(result: Any) -> bool:
    shell = _shell()
    if shell is not None and _shown.get(id(result)) == shell.execution_count:
        return True  # already shown in this cell by the magic; nothing more
    _shown.clear()  # results of earlier cells may be shown again
    show(result)
    return True


def register(shell: InteractiveShell) -> None:
    formatter = _display_formatter(shell)
    for module, name in _DISPLAYED_TYPES:
        formatter.for_type_by_name(module, name, _ipython_display)


def unregister(shell: InteractiveShell) -> None:
    formatter = _display_formatter(shell)
    for module, name in _DISPLAYED_TYPES:
        formatter.deferred_printers.pop((module, name), None)
        for kind in [kind for kind in formatter.type_printers if (kind.__module__, kind.__name__) == (module, name)]:
            formatter.type_printers.pop(kind)  # moved here when the first result of the kind was shown
    _shown.clear()


def _display_formatter(shell: InteractiveShell) -> Any:
    """The shell's formatter of ``_ipython_display_`` functions (IPython declares it a trait of
    any formatter type, hence Any). Every shell has a DisplayFormatter; the trait allows None."""
    if shell.display_formatter is None:
        raise RuntimeError("this IPython shell has no display formatter to register msc_notebook's displays with")
    return shell.display_formatter.ipython_display_formatter


def _shell() -> InteractiveShell | None:
    from IPython.core.getipython import get_ipython  # the typed module: IPython's own name for it is lazy

    return get_ipython()
