"""--net host: the machine's AF_INET and AF_INET6 sockets are host sockets (socket.py; gVisor's hostinet)."""
