"""TIME_WAIT (Linux's inet_timewait_sock.c and tcp_minisocks.c): what is left of a connection after the side
that closed first has no socket any more.

The active closer's connection outlives its socket: closed in FIN_WAIT2 (its FIN sent, the peer's not yet
received) it becomes an orphan in state FIN_WAIT2; once the peer's FIN arrives -- or when it arrives while the
socket is still open, which then goes to CLOSE -- it is in TIME_WAIT for TCP_TIMEWAIT_LEN (60 s, a kernel
timer), then goes.  Meanwhile it keeps its port in the port table (a bind without SO_REUSEADDR on both sides
fails with EADDRINUSE: hashtables.py) and shows in /proc/net/tcp with its 4-tuple, state 05 or 06 and the time
left.  A reset ends it at once, as do data arriving for the orphan (it answers with a reset).

Differences from Linux: no segments, so no retransmitted FIN to answer, and a connect() never reuses the
4-tuple of a TIME_WAIT entry (Linux may with net.ipv4.tcp_tw_reuse).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from pynix.net.inet.tcp import TcpSocket

TCP_FIN_WAIT2, TCP_TIME_WAIT = 5, 6
TCP_TIMEWAIT_LEN_NS = 60 * 10**9               # include/net/tcp.h: TCP_TIMEWAIT_LEN (60 s)
TCP_FIN_TIMEOUT_NS = 60 * 10**9                # /proc/sys/net/ipv4/tcp_fin_timeout: an orphan's FIN_WAIT2
USER_HZ = 100


class TimeWaitSock:
    """An inet_timewait_sock: the connection's names, what bind conflicts look at, and its timer."""

    is_listening = False
    time_wait = True
    dead = False
    ino = 0

    def __init__(self, sock: "TcpSocket", substate: int, add_timer: Callable[[int, Callable[[], None]], None]
                 ) -> None:
        self.net, self.table = sock.net, sock.table
        self.family, self.v6only = sock.family, sock.v6only
        self.laddr, self.lport, self.raddr, self.rport = sock.laddr, sock.lport, sock.raddr, sock.rport
        self.reuseaddr, self.reuseport, self.uid = sock.reuseaddr, sock.reuseport, sock.uid
        self.add_timer = add_timer
        self.state = substate
        self.deadline = 0
        self.table.add(self, self.lport)
        self._arm(TCP_FIN_TIMEOUT_NS if substate == TCP_FIN_WAIT2 else TCP_TIMEWAIT_LEN_NS)

    def _arm(self, length_ns: int) -> None:
        deadline = self.deadline = time.monotonic_ns() + length_ns
        self.add_timer(deadline, lambda: self._expired(deadline))

    def _expired(self, deadline: int) -> None:
        if deadline == self.deadline:                # (not re-armed since)
            self.kill()

    def fin_received(self) -> None:
        """The peer's FIN reached the orphan: TIME_WAIT for its full length from now."""
        if self.state == TCP_FIN_WAIT2 and not self.dead:
            self.state = TCP_TIME_WAIT
            self._arm(TCP_TIMEWAIT_LEN_NS)

    def kill(self) -> None:
        """inet_twsk_kill: the entry and its port go."""
        if not self.dead:
            self.dead = True
            self.table.remove(self, self.lport)

    def proc_state(self) -> int:
        return self.state

    def timer_clock_t(self) -> int:
        """What /proc/net/tcp's tm->when shows: the time left, in clock ticks."""
        return max(self.deadline - time.monotonic_ns(), 0) * USER_HZ // 10**9
