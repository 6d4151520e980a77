"""Networking (Linux's net/): the socket layer (socket.py), families (unix/, inet/, netlink/), devices and
routing (core/dev.py, inet/route.py), and the machine's namespace that finds sockets by name (namespace.py)."""
