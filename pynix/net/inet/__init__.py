"""AF_INET and AF_INET6 over the machine's own devices (Linux's net/ipv4 and net/ipv6)."""
