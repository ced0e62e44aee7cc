"""The web studio: the conversation in a browser, album pages and the team dashboard."""

from handlers.web.links import WebLinks
from handlers.web.studio import WebStudio

__all__ = ["WebLinks", "WebStudio"]
