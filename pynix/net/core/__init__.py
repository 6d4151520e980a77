"""Family-independent socket machinery (Linux's net/core): options, devices, device ioctls, byte streams."""
