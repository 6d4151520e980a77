"""pynix: a Unix-like kernel in Python that runs unmodified Linux programs on an emulated CPU.

`from pynix import Machine` is the Python API (pynix/api.py, docs/api.md); it is imported on first use, so
that importing a part of pynix does not build the whole kernel."""
__version__ = "0.1.0"

_API = ("Machine", "Process", "Snapshot", "PIPE", "MachineError", "SnapshotError")


def __getattr__(name: str):
    if name in _API:
        from pynix import api
        return getattr(api, name)
    raise AttributeError(f"module 'pynix' has no attribute {name!r}")
