"""AF_UNIX (Linux's net/unix)."""
