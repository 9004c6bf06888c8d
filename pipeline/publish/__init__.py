"""Publishing stage: Episodes → podcast feed, static site and a local preview server."""

from pipeline.publish.publisher import Publication, init_site, publish
from pipeline.publish.server import make_server, serve
from pipeline.publish.settings import PodcastSettings

__all__ = ["PodcastSettings", "Publication", "init_site", "make_server", "publish", "serve"]
