"""Memory management: the buddy frame allocator, page tables in hardware format, address spaces with VMAs,
demand paging and copy-on-write, and the checked user-access layer."""
