"""Sockets.  Only the AF_UNIX family exists so far, and only as connected pairs (socketpair): see unix.py."""
