"""DiploKG: a linked-data knowledge graph of international security cooperation.

The public API is curated here; see :mod:`diplokg.build` for the pipeline and
:mod:`diplokg.config` for the settings.
"""

from diplokg.config import Settings
from diplokg.errors import DiploKGError

__version__ = "0.1.0"

__all__ = ["DiploKGError", "Settings", "__version__"]
