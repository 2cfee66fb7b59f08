"""msc_notebook: presigned URLs for ``msc://`` objects, from Python and from Jupyter.

``import msc_notebook as msc`` gives MSC's presign API (``generate_presigned_url``,
``StorageClient``, ``StorageClientConfig``, ``SignerType``); ``%load_ext
msc_notebook`` adds the notebook magics.
"""

from .signing import *  # noqa: F403
from .signing import __all__ as _signing_all

__version__ = "0.1.0"
__all__ = [*_signing_all, "__version__"]


def load_ipython_extension(shell) -> None:
    """``%load_ext msc_notebook``: the %presign magics and rich display of results."""
    from .extension import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell) -> None:
    """``%unload_ext msc_notebook``: removes everything the load added."""
    from .extension import unload_ipython_extension as unload

    unload(shell)
