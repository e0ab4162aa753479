"""inbox-agent: notices the threads you started that went quiet, and drafts a nudge in your voice."""

__version__ = "0.1.0"
__all__ = ["__version__"]
