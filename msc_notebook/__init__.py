"""msc_notebook: presigned URLs for ``msc://`` objects, from Python and from Jupyter.

``import msc_notebook as msc`` gives MSC's presign API (``generate_presigned_url``,
``StorageClient``, ``StorageClientConfig``, ``SignerType``); ``%load_ext
msc_notebook`` adds the notebook magics.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from .signing import *  # noqa: F403
from .signing import __all__ as _signing_all

try:
    __version__ = _version("msc-notebook")  # one place for the version: pyproject.toml
except _PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
__all__ = [*_signing_all, "PresignForm", "__version__"]  # noqa: F405 (PresignForm: lazy, below)


def __getattr__(name: str):
    # PresignForm imports ipywidgets: only when asked for, so `import msc_notebook` stays cheap.
    if name == "PresignForm":
        from .notebook.form import PresignForm

        return PresignForm
    raise AttributeError(f"module 'msc_notebook' has no attribute {name!r}")


def load_ipython_extension(shell) -> None:
    """``%load_ext msc_notebook``: the %presign magics and rich display of results."""
    from .extension import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell) -> None:
    """``%unload_ext msc_notebook``: removes everything the load added."""
    from .extension import unload_ipython_extension as unload

    unload(shell)
