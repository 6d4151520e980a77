"""AF_NETLINK (Linux's net/netlink) with NETLINK_ROUTE (net/core/rtnetlink.c)."""
