"""The machine's UTS names (Linux's struct uts_namespace, kernel/utsname.c): the node and domain names that
uname(2) reports and sethostname(2)/setdomainname(2) change.  One per machine, made on first use."""
from __future__ import annotations

from dataclasses import dataclass

NODENAME = "pynix"
DOMAINNAME = "(none)"
NEW_UTS_LEN = 64


@dataclass
class UtsNamespace:
    nodename: bytes = NODENAME.encode()
    domainname: bytes = DOMAINNAME.encode()
