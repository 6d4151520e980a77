"""pynix: a Unix-like kernel in Python that runs unmodified Linux programs on an emulated CPU."""
__version__ = "0.1.0"
