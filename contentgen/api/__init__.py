"""The HTTP service (`contentgen serve`): FastAPI over ContentService, with keys, limits and live events.

FastAPI is imported only here and below, so ``import contentgen`` stays light.
"""

from contentgen.api.app import create_app
from contentgen.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
