"""/proc/net (Linux's tcp4_seq_show, udp4_seq_show, unix_seq_show, dev_seq_show, if6_seq_show, rt_cache...):
the machine's sockets and devices in the kernel's text formats, which ss, netstat and ifconfig parse.

Addresses are the network-order words printed as host integers (127.0.0.1 is 0100007F on a little-endian
machine), ports in host order; kernel pointers print as zeros (kptr_restrict).  Queue columns: TCP shows the
accept queue of a listener and unread bytes of a connection, UDP the queued payload.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from pynix.net.inet.hashtables import EPHEMERAL_HIGH, EPHEMERAL_LOW, PROT_SOCK
from pynix.net.inet.tcp import TCP_CLOSE, TCP_RMEM_DEFAULT, TCP_WMEM_DEFAULT
from pynix.net.socket import SK_WMEM_DEFAULT, SOMAXCONN
from pynix.net.unix.af_unix import MAX_DGRAM_QLEN, UnixSocket
from pynix.task.nsproxy import reader_nsproxy

if TYPE_CHECKING:
    from pynix.net.inet.af_inet import InetSocket
    from pynix.net.namespace import NetNamespace

TCP_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
TCP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
               "rx_queue tr tm->when retrnsmt   uid  timeout inode")
UDP_HEADER = ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode "
              "ref pointer drops")
UDP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
               "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")
SS_UNCONNECTED, SS_CONNECTED = 1, 3
SO_ACCEPTCON = 0x10000
NULL_PTR = "0" * 16


def _hex4(addr16: bytes) -> str:
    return "%08X" % int.from_bytes(addr16[12:], "little")


def _hex16(addr16: bytes) -> str:
    return "".join("%08X" % int.from_bytes(addr16[i:i + 4], "little") for i in range(0, 16, 4))


def _inet(net: "NetNamespace", tcp: bool, v6: bool) -> list["InetSocket"]:
    from pynix.net.inet.af_inet import AF_INET6
    table = net.tcp if tcp else net.udp
    socks = [s for s in table.sockets() if (s.family == AF_INET6) == v6 and not getattr(s, "dead", False)
             and not (tcp and s.proc_state() == TCP_CLOSE)]        # (closed TCP sockets are in no hash)
    return sorted(socks, key=lambda s: (not s.is_listening, s.lport))


def tcp_table(net: "NetNamespace", v6: bool) -> bytes:
    lines = [(TCP6_HEADER if v6 else TCP_HEADER + " " * (149 - len(TCP_HEADER)))]
    hexa = _hex16 if v6 else _hex4
    for i, s in enumerate(_inet(net, True, v6)):
        if s.time_wait:                                    # get_timewait4_sock
            line = (f"{i:4d}: {hexa(s.laddr)}:{s.lport:04X} {hexa(s.raddr)}:{s.rport:04X} {s.proc_state():02X} "
                    f"{0:08X}:{0:08X} 03:{s.timer_clock_t():08X} {0:08X} {0:5d} {0:8d} 0 3 {NULL_PTR}")
            lines.append(line if v6 else line.ljust(149))
            continue
        listening = s.is_listening
        rx = len(s.accept_queue) if listening else s.rx.bytes_available()
        line = (f"{i:4d}: {hexa(s.laddr)}:{s.lport:04X} {hexa(s.raddr if s.rport else bytes(16))}:{s.rport:04X} "
                f"{s.proc_state():02X} {0:08X}:{rx:08X} 00:00000000 00000000 {s.uid:5d} {0:8d} {s.ino} 1 "
                f"{NULL_PTR} {'100 0 0 10 0' if listening else '20 4 30 10 -1'}")
        lines.append(line if v6 else line.ljust(149))
    return "\n".join(lines).encode() + b"\n"


def udp_table(net: "NetNamespace", v6: bool) -> bytes:
    lines = [UDP6_HEADER if v6 else UDP_HEADER.ljust(127)]
    hexa = _hex16 if v6 else _hex4
    for i, s in enumerate(_inet(net, False, v6)):
        line = (f"{i:5d}: {hexa(s.laddr)}:{s.lport:04X} {hexa(s.raddr if s.rport else bytes(16))}:{s.rport:04X} "
                f"{s.proc_state():02X} {0:08X}:{s.rx.bytes:08X} 00:00000000 00000000 {s.uid:5d} {0:8d} {s.ino} 2 "
                f"{NULL_PTR} 0")
        lines.append(line if v6 else line.ljust(127))
    return "\n".join(lines).encode() + b"\n"


def unix_table(net: "NetNamespace") -> bytes:
    out = [b"Num       RefCount Protocol Flags    Type St Inode Path\n"]
    socks = sorted((s for s in net.sockets if isinstance(s, UnixSocket) and not s.dead), key=lambda s: s.ino)
    for s in socks:
        flags = SO_ACCEPTCON if s.listening else 0
        state = SS_CONNECTED if s.peer is not None else SS_UNCONNECTED
        line = b"%s: %08X %08X %08X %04X %02X %5d" % (NULL_PTR.encode(), 2, 0, flags, s.type, state, s.ino)
        if s.addr is not None and len(s.addr) > 2:
            name = s.addr[2:]
            line += b" " + (b"@" + name[1:].replace(b"\0", b"@") if name[0] == 0 else name.rstrip(b"\0"))
        out.append(line + b"\n")
    return b"".join(out)


def dev_table(net: "NetNamespace") -> bytes:
    out = [b"Inter-|   Receive                                                |  Transmit\n",
           b" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
           b"colls carrier compressed\n"]
    for d in net.devices:
        out.append(b"%6s:%8d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n" % (
            d.name, d.rx_bytes, d.rx_packets, 0, 0, 0, 0, 0, 0, d.tx_bytes, d.tx_packets, 0, 0, 0, 0, 0, 0))
    return b"".join(out)


def if_inet6(net: "NetNamespace") -> bytes:
    out = []
    for d in net.devices:
        for a in d.v6_addrs():
            scope = 0x10 if a.address.is_loopback else 0
            out.append(b"%s %02x %02x %02x %02x %8s\n" % (a.address.packed.hex().encode(), d.index, a.prefixlen,
                                                          scope, 0x80, d.name))
    return b"".join(out)


def route_table(net: "NetNamespace") -> bytes:
    """/proc/net/route: the main table's IPv4 routes -- none on a machine with only lo."""
    return b"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT".ljust(127) + b"\n"


# /proc/sys/net: what the network is built with (read-only here: the values the code uses)
SYSCTLS: dict[bytes, dict[bytes, object]] = {
    b"core": {b"somaxconn": SOMAXCONN, b"rmem_default": SK_WMEM_DEFAULT, b"rmem_max": SK_WMEM_DEFAULT,
              b"wmem_default": SK_WMEM_DEFAULT, b"wmem_max": SK_WMEM_DEFAULT},
    b"ipv4": {b"ip_local_port_range": f"{EPHEMERAL_LOW}\t{EPHEMERAL_HIGH}",
              b"ip_unprivileged_port_start": PROT_SOCK,
              b"tcp_rmem": f"4096\t{TCP_RMEM_DEFAULT}\t6291456", b"tcp_wmem": f"4096\t{TCP_WMEM_DEFAULT}\t4194304"},
    b"unix": {b"max_dgram_qlen": MAX_DGRAM_QLEN},
}


def proc_net_tree(kernel: object) -> dict[bytes, tuple[Callable[[], bytes], int, None]]:
    """The files of /proc/net, as procfs's TreeDir takes them."""
    def f(render: Callable[["NetNamespace"], bytes]):
        return (lambda: render(reader_nsproxy(kernel).net), 0o444, None)
    return {b"tcp": f(lambda n: tcp_table(n, False)), b"tcp6": f(lambda n: tcp_table(n, True)),
            b"udp": f(lambda n: udp_table(n, False)), b"udp6": f(lambda n: udp_table(n, True)),
            b"unix": f(unix_table), b"dev": f(dev_table), b"if_inet6": f(if_inet6), b"route": f(route_table)}
