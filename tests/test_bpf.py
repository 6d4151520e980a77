"""Classic BPF (pynix/bpf/filter.py) as a socket filter would use it: the packet loads seccomp does not allow
(half-words and bytes, indexed loads, the IP header length), big-endian words, loads past the end, and the
checker's refusals.  The program is what `tcpdump -dd 'ip and tcp dst port 80'` prints."""
from __future__ import annotations

import errno
import struct

import pytest

from pynix.bpf.filter import check_classic, compile_classic, decode
from pynix.errors import KernelError

# tcpdump -dd 'ip and tcp dst port 80' (on an Ethernet link), without its IPv6 half
TCP_DST_80 = [
    (0x28, 0, 0, 0x0000000C),   # ldh [12]            ethertype
    (0x15, 0, 8, 0x00000800),   # jeq #0x800          IPv4?
    (0x30, 0, 0, 0x00000017),   # ldb [23]            protocol
    (0x15, 0, 6, 0x00000006),   # jeq #6              TCP?
    (0x28, 0, 0, 0x00000014),   # ldh [20]            flags + fragment offset
    (0x45, 4, 0, 0x00001FFF),   # jset #0x1fff        a later fragment: no TCP header
    (0xB1, 0, 0, 0x0000000E),   # ldxb 4*([14]&0xf)   IP header length
    (0x48, 0, 0, 0x00000010),   # ldh [x + 16]        TCP destination port
    (0x15, 0, 1, 0x00000050),   # jeq #80
    (0x06, 0, 0, 0x00040000),   # ret #262144         accept (snap length)
    (0x06, 0, 0, 0x00000000),   # ret #0              drop
]


def packet(ethertype: int = 0x800, protocol: int = 6, port: int = 80, ihl: int = 5, fragment: int = 0) -> bytes:
    ip = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 40, 0, fragment, 64, protocol, 0, bytes(4), bytes(4))
    ip += bytes(4 * ihl - 20)                     # IP options
    tcp = struct.pack(">HHIIHHHH", 1234, port, 0, 0, 0x5000, 0, 0, 0)
    return bytes(12) + struct.pack(">H", ethertype) + ip + tcp


def test_socket_filter_program():
    prog = decode(b"".join(struct.pack("<HBBI", *insn) for insn in TCP_DST_80))
    check_classic(prog)
    run = compile_classic(prog)                   # big-endian loads, any packet length
    assert run(packet()) == 0x40000
    assert run(packet(ihl=7)) == 0x40000          # the port found past IP options, through X
    assert run(packet(port=22)) == 0
    assert run(packet(protocol=17)) == 0          # UDP
    assert run(packet(ethertype=0x86DD)) == 0
    assert run(packet(fragment=5)) == 0
    assert run(packet()[:30]) == 0                # the load of the port runs past the end: dropped
    assert run(b"") == 0


def test_alu_and_scratch_memory():
    prog = [(0x00, 0, 0, 7), (0x02, 0, 0, 3), (0x01, 0, 0, 5), (0x2C, 0, 0, 0), (0x07, 0, 0, 0),
            (0x61, 0, 0, 3), (0x94, 0, 0, 4), (0x87, 0, 0, 0), (0x3C, 0, 0, 0), (0x16, 0, 0, 0)]
    # A=7; M[3]=A; X=5; A*=X (35); X=A; X=M[3] (7); A%=4 (3); A=X (7); A/=X (1); ret A
    check_classic(prog)
    assert compile_classic(prog)(b"") == 1
    zero_divisor = [(0x01, 0, 0, 0), (0x00, 0, 0, 9), (0x3C, 0, 0, 0), (0x06, 0, 0, 1)]
    check_classic(zero_divisor)
    assert compile_classic(zero_divisor)(b"") == 0   # a division by X == 0 ends the program with 0
    assert compile_classic([(0x80, 0, 0, 0), (0x16, 0, 0, 0)])(b"abc") == 3      # A = len


@pytest.mark.parametrize("prog", [
    [],                                           # empty
    [(0x06, 0, 0, 0)] * 4097,                     # too long
    [(0x05, 0, 0, 0xFFFFFFFF), (0x06, 0, 0, 0)],  # JA backwards (-1)
    [(0x15, 1, 0, 0), (0x06, 0, 0, 0)],           # a conditional jump past the end
    [(0x00, 0, 0, 0)],                            # no RET at the end
    [(0x34, 0, 0, 0), (0x06, 0, 0, 0)],           # A /= 0
    [(0x64, 0, 0, 32), (0x06, 0, 0, 0)],          # A <<= 32
    [(0x60, 0, 0, 0), (0x06, 0, 0, 0)],           # M[0] read before it is written
    [(0x02, 0, 0, 16), (0x06, 0, 0, 0)],          # M[16]
    [(0x20, 0, 0, 0xFFFFF000), (0x06, 0, 0, 0)],  # an ancillary load (SKF_AD_OFF)
    [(0xFF, 0, 0, 0), (0x06, 0, 0, 0)],           # an unknown opcode
])
def test_checker_refusals(prog):
    with pytest.raises(KernelError) as err:
        check_classic(prog)
    assert err.value.errno == errno.EINVAL
