"""UTS namespaces (Linux's struct uts_namespace, kernel/utsname.c): the node and domain names that uname(2)
reports and sethostname(2)/setdomainname(2) change.  The machine starts with one (Kernel.init_nsproxy); a new
one made by clone/unshare(CLONE_NEWUTS) starts as a copy of its creator's (copy_utsname)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from pynix.fs.ns_common import NsCommon
from pynix.uapi.sched import CLONE_NEWUTS

NODENAME = "pynix"
DOMAINNAME = "(none)"
NEW_UTS_LEN = 64


@dataclass(eq=False)
class UtsNamespace(NsCommon):
    nodename: bytes = NODENAME.encode()
    domainname: bytes = DOMAINNAME.encode()

    ns_type = CLONE_NEWUTS
    ns_name = "uts"
    init_inum = 0xEFFFFFFE

    def copy_ns(self) -> "UtsNamespace":
        return replace(self)
