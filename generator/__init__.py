"""bibfolio: a static site generator for author profiles and publication lists."""

__version__ = "0.1.0"
