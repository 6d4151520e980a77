"""Address spaces (Linux's mm_struct) made of virtual memory areas (vm_area_struct) over a page table.

A VMA says what may be mapped in a range (protection, sharing, backing file); the page table says what *is*
mapped.  Frames are allocated lazily: the first access to a page of a VMA faults, and `handle_fault` allocates a
zeroed frame (anonymous memory), maps the file's page-cache frame (file mappings and ELF segments: read-only with
the cow mark when private, so the first write copies; read-only until the first write when shared, which marks
the page dirty), or copies a shared frame on the first write (copy-on-write).  The emulator asks for
translations through `tlb_fill`, which resolves such faults on the spot, so the guest never leaves the JIT for
them.  Every fault resolved is counted (`min_flt`, `maj_flt`) for the task that took it, as Linux's
mm_account_fault; unlike Linux, a read of an untouched anonymous page gets its own frame at once (Linux maps the
shared zero page and faults again on the first write), and a file fault maps only its own page (Linux maps up to
16 neighbours already in the page cache with it: fault-around), so pynix can count more faults than Linux.  The
VMAs themselves, and the shared memory behind MAP_SHARED anonymous mappings, are in vma.py.
"""
from __future__ import annotations

import bisect
import errno
from time import perf_counter_ns
from typing import Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE, PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator
from pynix.mm.mempolicy import MemPolicy
from pynix.mm.page_cache import PageCache, bind_memory
from pynix.mm.page_table import ZERO_PAGE, PageTable
from pynix.mm.vma import SharedMemory, VmArea

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
U64 = (1 << 64) - 1
PAGE_MASK = ~(PAGE_SIZE - 1)
FORK_KEEP_TLB = 256                      # fork keeps a kernel TLB of at most this many pages (see fork)
STACK_GUARD_GAP = 256 * PAGE_SIZE        # Linux's stack_guard_gap: a growing stack keeps this far from the area below


def page_align_up(value: int) -> int:
    return (value + PAGE_SIZE - 1) & PAGE_MASK


def hardware_prot(prot: int) -> int:
    """Protection as page tables can express it: writable or executable pages are also readable."""
    return prot | PROT_READ if prot else 0


class AddressSpace:
    def __init__(self, arch: Arch, ram: PhysicalMemory, frames: FrameAllocator) -> None:
        self.arch = arch
        self.ram = ram
        self.frames = frames
        self.fmt = arch.page_table
        self.page_table = PageTable(arch.page_table, ram, frames)
        self._leaf_bits = tuple(self.fmt.leaf_bits(prot) for prot in range(8))   # fmt.leaf_bits, precomputed
        bind_memory(ram, frames)             # the machine's memory is where new page-cache pages come from
        self.vmas: list[VmArea] = []
        self._starts: list[int] = []
        self.brk_start = 0
        self.brk = 0
        self.users = 1                       # tasks using this address space (threads, vfork children)
        self.sigreturn_trampoline = 0        # where the loader mapped the rt_sigreturn trampoline
        # Where the loader put argv/envp strings and the initial stack pointer (/proc/pid/cmdline, environ, stat)
        self.arg_start = self.arg_end = self.env_start = self.env_end = self.start_stack = 0
        self.saved_auxv = b""                # the auxiliary vector exec gave the program (Linux's saved_auxv)
        self.lock_future = False             # mlockall(MCL_FUTURE): new mappings are locked too
        self.exe_file: object | None = None  # the executable's inode, denied write access (task/exec.py, fork.py)
        # Called whenever an existing translation changes; the kernel points it at the CPU running this space.
        self.on_tlb_flush: Callable[[], None] = lambda: None
        # The kernel's own TLB: page -> `physical page | prot` for translations already looked up (tlb_fill,
        # translate), so that refilling the CPU's TLB after a context switch and copying to or from user
        # memory skip the page-table walk.  Entries never grant more than the page table: any change to an
        # existing entry goes through _flush_tlb (or handle_fault, which drops its page; or fork, which takes
        # away the write permission).
        self._tlb: dict[int, int] = {}
        # The last few multi-page user ranges translated (translate_runs): (addr, size, access) -> physical
        # runs.  Derived from `_tlb` and dropped whenever any of its entries goes (a program reads into and
        # writes from the same few buffers, and translating a 64 KiB one page by page is ~10 us of Python).
        self._runs: dict[tuple[int, int, int], list[list[int]]] = {}
        # Called when frames that held code were freed: their translations must go before guest code runs.
        self.on_code_freed: Callable[[], None] = lambda: None
        # Called when a shared mapping that is or may become writable is made: on SMP this space may now share
        # memory with one running on another CPU, so the scheduler must look again (smp.run_key).
        self.on_shared_map: Callable[[], None] = lambda: None
        # Tracing (pynix/trace): told of every fault the TLB-fill handler resolves (address, access).
        self.on_fault: Callable[[int, int], None] | None = None
        # Time spent resolving the faults of guest code since the kernel last looked (ns): kernel time, which
        # the kernel moves from the running task's user time to its system time (Kernel.account_running).
        self.fault_ns = 0
        # The faults `handle_fault` resolved since then, minor and major (a file page it had to read: a page-
        # cache miss), which the kernel adds to the running task's min_flt and maj_flt the same way.
        self.min_flt = self.maj_flt = 0

    # ----------------------------------------------------------------------------------------------- VMAs
    def find_vma(self, addr: int) -> VmArea | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.vmas[i].end:
            return self.vmas[i]
        return None

    def _insert(self, vma: VmArea) -> None:
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def _carve(self, start: int, end: int) -> tuple[int, int]:
        """Split VMAs at `start` and `end`; return the index range of the VMAs now inside [start, end)."""
        for cut in (start, end):
            vma = self.find_vma(cut)
            if vma is not None and vma.start < cut:
                self._insert(vma.split(cut))
        return bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end)

    # --------------------------------------------------------------------------------------- page faults
    def _flush_tlb(self) -> None:
        """Existing translations changed: forget the kernel's and the CPU's cached ones."""
        self._tlb.clear()
        self._runs.clear()
        self.on_tlb_flush()

    def tlb_fill(self, va: int, access: int) -> int:
        """The TLB-miss handler (`va` is page-aligned): `physical page | prot` for an allowed access, -1 for a
        fault (SIGSEGV)."""
        entry = self._tlb.get(va, 0)
        if entry & access:
            return entry
        fmt = self.fmt
        if va < self.arch.task_size:
            slot = self.page_table.leaf_slot(va)
            if slot >= 0:
                pte = self.ram.words[slot]
                if pte & fmt.present_bit:
                    prot = fmt.leaf_prot(pte)
                    if prot & access:
                        entry = self._tlb[va] = (((pte >> fmt.pfn_shift) & fmt.pfn_mask) << PAGE_SHIFT) | prot
                        return entry
            if self.on_fault is not None:
                self.on_fault(va, access)
            t0 = perf_counter_ns()
            try:
                pte = self.handle_fault(va, access)
            except KernelError:
                return -1
            finally:
                self.fault_ns += perf_counter_ns() - t0
            entry = self._tlb[va] = (((pte >> fmt.pfn_shift) & fmt.pfn_mask) << PAGE_SHIFT) | fmt.leaf_prot(pte)
            return entry
        return -1

    def force_write(self, addr: int, data: bytes) -> None:
        """Write `data` at `addr` as a debugger does (Linux's access_process_vm with FOLL_FORCE, ptrace's
        POKETEXT): also where the mapping is read-only, such as program text.  A page that is shared -- a file
        page of the page cache, a frame another process still maps after fork -- is first replaced by a private
        copy (kept copy-on-write, with the mapping's protection), so nothing but this address space changes.
        EFAULT where nothing is mapped, or the mapping is a shared one that does not allow writing."""
        fmt, words = self.fmt, self.ram.words
        done = 0
        while done < len(data):
            va = addr + done
            page = va & PAGE_MASK
            chunk = min(len(data) - done, page + PAGE_SIZE - va)
            vma = self.find_vma(va)
            if vma is None or (vma.shared and not vma.prot & PROT_WRITE):
                raise KernelError(errno.EFAULT)
            slot = self.page_table.leaf_slot(page)
            if slot < 0 or not words[slot] & fmt.present_bit:
                self.handle_fault(va, ACCESS_READ)
                slot = self.page_table.leaf_slot(page)
            pte = words[slot]
            pfn = fmt.pfn(pte)
            if not vma.shared and (pte & fmt.cow_bit or self.frames.refcount[pfn] > 1):
                new = self.frames.alloc()
                self.ram.mv[new << PAGE_SHIFT:(new + 1) << PAGE_SHIFT] = \
                    self.ram.mv[pfn << PAGE_SHIFT:(pfn + 1) << PAGE_SHIFT]
                self.frames.put(pfn)
                pfn = new
                words[slot] = fmt.make_leaf(pfn, fmt.leaf_prot(pte), True)
                self._flush_tlb()
            if vma.prot & PROT_EXEC:               # the frame's translated code is stale now
                self.frames.code[pfn] = 1
                self.frames.stale_code.append(pfn)
                self.on_code_freed()
            at = (pfn << PAGE_SHIFT) + (va - page)
            self.ram.mv[at:at + chunk] = data[done:done + chunk]
            done += chunk

    def handle_fault(self, va: int, access: int) -> int:
        """Resolve a fault at `va` for `access` (demand paging, copy-on-write); return the new leaf entry.
        Raises EFAULT when no VMA allows the access and ENOMEM when no frame is left."""
        vma = self.find_vma(va) or self._expand_stack(va)
        if vma is None or not (hardware_prot(vma.prot) & access):
            raise KernelError(errno.EFAULT)
        fmt, words = self.fmt, self.ram.words
        page = va & PAGE_MASK
        self._tlb.pop(page, None)                 # the entry of `page` is about to change
        if self._runs:
            self._runs.clear()
        slot = self.page_table.ensure_slot(page)
        pte = words[slot]
        if not pte and vma.file is None and vma.shmem is None and vma.image is None:
            # Demand zero, the most common fault: what the general path below does for it, inlined.
            frames = self.frames
            pfn = frames.alloc()
            self.ram.mv[pfn << PAGE_SHIFT:(pfn + 1) << PAGE_SHIFT] = ZERO_PAGE
            if vma.prot & PROT_EXEC:
                frames.code[pfn] = 1
            if frames.stale_code:                 # an allocation reclaimed frames that held code
                self.on_code_freed()
            pte = words[slot] = (pfn << fmt.pfn_shift) | self._leaf_bits[vma.prot | PROT_READ]
            self.min_flt += 1
            return pte
        if pte:                                   # present (or held by PROT_NONE) yet not allowed
            if access == ACCESS_WRITE and vma.shared and vma.file is not None and pte & fmt.present_bit:
                vma.file.dirty.add((vma.offset + page - vma.start) >> PAGE_SHIFT)     # first store: dirty
                pte = words[slot] = fmt.make_leaf(fmt.pfn(pte), hardware_prot(vma.prot))
                self.min_flt += 1
                return pte
            if not (access == ACCESS_WRITE and pte & fmt.cow_bit and pte & fmt.present_bit):
                raise KernelError(errno.EFAULT)
            old = fmt.pfn(pte)
            if self.frames.refcount[old] == 1:
                new = old                             # last user of the frame: take it over
            else:
                new = self.frames.alloc()
                self.ram.mv[new << PAGE_SHIFT:(new + 1) << PAGE_SHIFT] = \
                    self.ram.mv[old << PAGE_SHIFT:(old + 1) << PAGE_SHIFT]
                self.frames.put(old)
            if vma.prot & PROT_EXEC:
                self.frames.code[new] = 1
            pte = words[slot] = fmt.make_leaf(new, hardware_prot(vma.prot))
            self.min_flt += 1
            return pte
        prot, cow, major = hardware_prot(vma.prot), False, False
        if vma.file is not None:
            pfn, prot, cow, major = self._file_page(vma, page, access, prot)
        elif vma.shmem is not None:
            pfn = vma.shmem.page((vma.offset + page - vma.start) >> PAGE_SHIFT)
            self.frames.get(pfn)                  # the page-table entry holds its own reference
        else:
            pfn = self.frames.alloc()
            self._fill_frame(vma, page, pfn)
        if vma.prot & PROT_EXEC:
            self.frames.code[pfn] = 1
        if self.frames.stale_code:                # an allocation reclaimed frames that held code
            self.on_code_freed()
        pte = words[slot] = fmt.make_leaf(pfn, prot, cow)
        if major:
            self.maj_flt += 1
        else:
            self.min_flt += 1
        return pte

    def _expand_stack(self, va: int) -> VmArea | None:
        """A fault below a MAP_GROWSDOWN area extends it down to the faulting page (Linux's expand_downwards),
        unless that would come within the stack guard gap of an accessible area below; None: no such area."""
        i = bisect.bisect_right(self._starts, va)
        if i == len(self.vmas) or not self.vmas[i].growsdown:
            return None
        page = va & PAGE_MASK
        below = self.vmas[i - 1] if i else None
        if below is not None and below.prot and not below.growsdown and page - below.end < STACK_GUARD_GAP:
            return None
        vma = self.vmas[i]
        vma.start = self._starts[i] = page
        return vma

    def populate(self, start: int, end: int) -> None:
        """Fault in every page of [start, end) that its area allows to be read (MAP_POPULATE, mlock): writable
        private pages with a write, so that copy-on-write is broken now, as Linux's populate_vma_page_range."""
        for vma, lo, hi in self.areas_in(start, end)[0]:
            if not vma.prot & (PROT_READ | PROT_WRITE | PROT_EXEC):
                continue
            access = ACCESS_WRITE if vma.prot & PROT_WRITE and not vma.shared else ACCESS_READ
            for va in range(lo & PAGE_MASK, hi, PAGE_SIZE):
                try:
                    self.translate(va, access)
                except KernelError as err:
                    if err.errno == errno.ENOMEM:
                        raise
                    break                         # a file mapping past the end of its file

    def set_fork_advice(self, start: int, end: int, name: str, value: bool) -> None:
        """MADV_DONTFORK/DOFORK (`dontfork`) and MADV_WIPEONFORK/KEEPONFORK (`wipeonfork`) on [start, end)."""
        lo, hi = self._carve(start, end)
        for vma in self.vmas[lo:hi]:
            setattr(vma, name, value)

    def _file_page(self, vma: VmArea, page: int, access: int, prot: int) -> tuple[int, int, bool, bool]:
        """(frame, hardware prot, cow mark, major) for a fault at `page` of a file-backed area (see VmArea);
        `major`: the page was not in the page cache and had to be read from the file (VM_FAULT_MAJOR)."""
        frames, mv = self.frames, self.ram.mv
        if page >= vma.image_end:                 # the .bss pages of an ELF segment: anonymous memory
            pfn = frames.alloc()
            mv[pfn << PAGE_SHIFT:(pfn + 1) << PAGE_SHIFT] = ZERO_PAGE
            return pfn, prot, False, False
        cache = vma.file
        index = (vma.offset + page - vma.start) >> PAGE_SHIFT
        if index << PAGE_SHIFT >= cache.size:     # wholly past the end of the file: SIGBUS (see bus_error)
            raise KernelError(errno.EFAULT)
        major = cache.backed and index not in cache.pages
        src = cache.page(index)
        if vma.shared:
            if access == ACCESS_WRITE:
                cache.dirty.add(index)
            elif index not in cache.dirty:
                prot &= ~PROT_WRITE               # read-only until the first store marks the page dirty
            frames.get(src)
            return src, prot, False, major
        tail = vma.image_end - page               # < PAGE_SIZE: the last file page of an ELF segment with .bss
        if access == ACCESS_WRITE or tail < PAGE_SIZE:
            frames.get(src)                       # held while a copy is allocated (which may reclaim)
            pfn = frames.alloc()
            n = min(tail, PAGE_SIZE)
            mv[pfn << PAGE_SHIFT:(pfn << PAGE_SHIFT) + n] = mv[src << PAGE_SHIFT:(src << PAGE_SHIFT) + n]
            mv[(pfn << PAGE_SHIFT) + n:(pfn + 1) << PAGE_SHIFT] = ZERO_PAGE[n:]
            frames.put(src)
            return pfn, prot, False, major
        frames.get(src)                           # the cache's frame itself, copied on the first write
        return src, prot & ~PROT_WRITE, True, major

    def page_present(self, addr: int) -> bool:
        """Is a frame mapped at `addr` in this space's page table (follow_page)?"""
        slot = self.page_table.leaf_slot(addr & PAGE_MASK)
        return slot >= 0 and bool(self.ram.words[slot] & self.fmt.present_bit)

    def bus_error(self, addr: int) -> bool:
        """Is a fault at `addr` an access to a file mapping wholly past the end of its file (SIGBUS)?"""
        vma = self.find_vma(addr)
        if vma is None or vma.file is None or addr >= vma.image_end:
            return False
        return (vma.offset + (addr & PAGE_MASK) - vma.start) >= vma.file.size

    def _fill_frame(self, vma: VmArea, page: int, pfn: int) -> None:
        pa = pfn << PAGE_SHIFT
        mv = self.ram.mv
        mv[pa:pa + PAGE_SIZE] = ZERO_PAGE
        if vma.image is None or page >= vma.image_end:
            return
        src = vma.offset + (page - vma.start)
        n = min(PAGE_SIZE, vma.image_end - page, len(vma.image) - src)
        if n > 0:
            mv[pa:pa + n] = vma.image[src:src + n]

    def translate(self, va: int, access: int) -> int:
        """Physical address of user address `va` for a kernel access on the guest's behalf (EFAULT if not
        allowed).  Resolves faults like the TLB does; a copy-on-write break also flushes the TLB."""
        entry = self._tlb.get(va & PAGE_MASK, 0)
        if entry & access:
            return (entry & PAGE_MASK) | (va & ~PAGE_MASK)
        if va >= self.arch.task_size:
            raise KernelError(errno.EFAULT)
        fmt = self.fmt
        slot = self.page_table.leaf_slot(va)
        if slot >= 0:
            pte = self.ram.words[slot]
            prot = fmt.leaf_prot(pte)
            if pte & fmt.present_bit and prot & access:
                self._tlb[va & PAGE_MASK] = (fmt.pfn(pte) << PAGE_SHIFT) | prot
                return (fmt.pfn(pte) << PAGE_SHIFT) | (va & ~PAGE_MASK)
        was_present = slot >= 0 and self.ram.words[slot] & fmt.present_bit
        pte = self.handle_fault(va, access)
        if was_present:
            self._flush_tlb()
        return (fmt.pfn(pte) << PAGE_SHIFT) | (va & ~PAGE_MASK)

    def translate_runs(self, addr: int, size: int, access: int, partial: bool) -> list[list[int]]:
        """[start, end) physical runs covering user range [addr, addr + size) (`addr + size` within task_size),
        pages that are adjacent in RAM joined into one run: `translate` page by page, with the kernel TLB
        looked up here (a hit is the common case, and a call per page of a 64 KiB copy cost a third of it).
        A fault stops the scan where it is with `partial` and at least one run made, else raises.  The runs of
        a range scanned whole are kept (`_runs`) until a translation changes; callers must not change them."""
        key = (addr, size, access)
        runs = self._runs.get(key)
        if runs is not None:
            return runs
        runs = []
        start, total = addr, size
        tlb_get, translate = self._tlb.get, self.translate
        while size > 0:
            offset = addr & ~PAGE_MASK
            n = PAGE_SIZE - offset if size > PAGE_SIZE - offset else size
            entry = tlb_get(addr - offset, 0)
            if entry & access:
                pa = (entry & PAGE_MASK) | offset
            else:
                try:
                    pa = translate(addr, access)
                except KernelError:
                    if not partial or not runs:
                        raise
                    break
            if runs and runs[-1][1] == pa:
                runs[-1][1] = pa + n
            else:
                runs.append([pa, pa + n])
            addr += n
            size -= n
        if addr == start + total and total > PAGE_SIZE:
            if len(self._runs) >= 8:
                self._runs.clear()
            self._runs[key] = runs
        return runs

    # ------------------------------------------------------------------------------- mapping operations
    def get_unmapped_area(self, length: int) -> int:
        """Find `length` free bytes, top-down from the mmap base, as Linux's default layout does."""
        top = self.arch.mmap_base
        for vma in reversed(self.vmas):
            if vma.start >= top:
                continue
            if vma.end <= top - length:
                break
            top = vma.start
        start = top - length
        if start < max(self.brk, PAGE_SIZE * 16):
            raise KernelError(errno.ENOMEM)
        return start

    def is_free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end) - 1
        return i < 0 or self.vmas[i].end <= start

    def map(self, start: int, length: int, prot: int, *, shared: bool = False, name: str = "",
            image: bytes | None = None, file: PageCache | None = None, offset: int = 0,
            image_end: int = 0, may_write: bool = True, shmem: SharedMemory | None = None) -> VmArea:
        """Create a VMA at [start, start+length), replacing whatever was mapped there (MAP_FIXED).  A shared
        anonymous mapping gets a new shmem object, or maps the given one (a System V segment) from `offset`,
        taking a reference to it."""
        end = start + length
        if start & ~PAGE_MASK or length <= 0 or end > self.arch.task_size:
            raise KernelError(errno.EINVAL)
        self.unmap(start, length)
        vma = VmArea(start, end, prot, shared, name, image, offset, image_end, file=file, may_write=may_write,
                     locked=self.lock_future, accounted=not shared and bool(prot & PROT_WRITE))
        if shmem is not None:
            shmem.users += 1
            vma.shmem = shmem
        elif shared and image is None and file is None:
            vma.shmem = SharedMemory(self.frames, self.ram)
        if file is not None:
            file.mappers.add(self)
        self._insert(vma)
        if shared and (prot & PROT_WRITE or may_write):
            self.on_shared_map()
        return vma

    def areas_in(self, start: int, end: int) -> tuple[list[tuple[VmArea, int, int]], bool]:
        """The VMAs meeting [start, end), each with the part of the range it covers, and whether they cover all
        of it (msync and madvise act on the mapped parts, then say ENOMEM for the holes)."""
        parts = [(vma, max(vma.start, start), min(vma.end, end)) for vma in self.vmas
                 if vma.start < end and vma.end > start]
        return parts, sum(hi - lo for _, lo, hi in parts) == end - start

    def set_locked(self, start: int, end: int, locked: bool) -> None:
        """mlock/munlock: mark [start, end) (page-aligned) locked or not; ENOMEM if part of it is unmapped."""
        for vma in self._areas_exactly(start, end, errno.ENOMEM):
            vma.locked = locked

    def set_mempolicy(self, start: int, end: int, policy: "MemPolicy | None") -> None:
        """mbind's mbind_range: give [start, end) (page-aligned) its NUMA policy; EFAULT if part is unmapped."""
        for vma in self._areas_exactly(start, end, errno.EFAULT):
            vma.mempolicy = policy

    def _areas_exactly(self, start: int, end: int, hole_errno: int) -> list[VmArea]:
        """The VMAs making up [start, end), split at its ends; `hole_errno` (and nothing split) if part of the
        range is unmapped."""
        addr = start
        while addr < end:
            vma = self.find_vma(addr)
            if vma is None:
                raise KernelError(hole_errno)
            addr = vma.end
        lo, hi = self._carve(start, end)
        return self.vmas[lo:hi]

    @property
    def locked_bytes(self) -> int:
        return sum(vma.end - vma.start for vma in self.vmas if vma.locked)

    def unmap(self, start: int, length: int) -> None:
        """munmap: drop the VMAs and pages in [start, start+length); holes are fine."""
        end = start + page_align_up(length)
        lo, hi = self._carve(start, end)
        if lo == hi:
            return
        for vma in self.vmas[lo:hi]:
            vma.release()
        del self.vmas[lo:hi]
        del self._starts[lo:hi]
        self._drop_pages(start, end)

    def zap(self, start: int, length: int) -> None:
        """Drop the pages (not the VMAs) of a range: the next touch sees zeros, or the file again
        (madvise(MADV_DONTNEED), Linux's zap_page_range)."""
        self._drop_pages(start, start + page_align_up(length))

    def _drop_pages(self, start: int, end: int) -> None:
        words, fmt, flushed = self.ram.words, self.fmt, False
        for _va, slot in self.page_table.present_slots(start, end):
            self.frames.put(fmt.pfn(words[slot]))
            words[slot] = 0
            flushed = True
        if flushed:
            self._flush_tlb()
        if self.frames.stale_code:
            self.on_code_freed()

    def protect(self, start: int, length: int, prot: int) -> None:
        """mprotect: change the protection of every page in the range; ENOMEM if part of it is unmapped, EACCES
        for write access to a shared mapping of a file not open for writing."""
        end = start + page_align_up(length)
        addr = start
        while addr < end:                         # the whole range must be mapped, with no holes
            vma = self.find_vma(addr)
            if vma is None:
                raise KernelError(errno.ENOMEM)
            if prot & PROT_WRITE and not vma.may_write:
                raise KernelError(errno.EACCES)
            addr = vma.end
        lo, hi = self._carve(start, end)
        fmt, words = self.fmt, self.ram.words
        hw = hardware_prot(prot)
        for vma in self.vmas[lo:hi]:
            vma.prot = prot
            vma.accounted |= not vma.shared and bool(prot & PROT_WRITE)
            clean = vma.file.dirty if vma.shared and vma.file is not None else None
            for va, slot in self.page_table.present_slots(vma.start, vma.end):
                pte = words[slot]
                cow = bool(pte & fmt.cow_bit)
                if hw:
                    if hw & PROT_EXEC:
                        self.frames.code[fmt.pfn(pte)] = 1
                    # copy-on-write pages and clean shared file pages stay read-only until their next fault
                    readonly = cow or clean is not None and (vma.offset + va - vma.start) >> PAGE_SHIFT not in clean
                    words[slot] = fmt.make_leaf(fmt.pfn(pte), hw & ~PROT_WRITE if readonly else hw, cow)
                else:
                    # PROT_NONE keeps the frame in a non-present entry (Linux's _PAGE_PROTNONE idea), so the data
                    # is still there when the protection is raised again.
                    words[slot] = fmt.make_leaf(fmt.pfn(pte), PROT_READ, cow) & ~fmt.present_bit
        self._flush_tlb()

    def remap(self, old: int, old_size: int, new_size: int, may_move: bool, fixed: bool, dontunmap: bool,
              new_addr: int) -> int:
        """mremap (sizes page-aligned, flag combinations already checked), as Linux's mm/mremap.c: shrink in
        place, grow in place when the pages above are free, otherwise move the pages (MREMAP_MAYMOVE) to
        `new_addr` (MREMAP_FIXED, replacing what is there) or to a free range.  EFAULT when [old, old+old_size)
        is not inside one area, ENOMEM when growing is impossible without moving."""
        if fixed or dontunmap:
            if fixed:
                self.unmap(new_addr, new_size)
            if old_size > new_size:
                self.unmap(old + new_size, old_size - new_size)
                old_size = new_size
            vma = self._resizable(old, old_size)
            if not fixed and not (new_addr and new_addr + new_size <= self.arch.mmap_base
                                  and self.is_free(new_addr, new_addr + new_size)):
                new_addr = self.get_unmapped_area(new_size)       # the address was only a hint
            return self._move(vma, old, old_size, new_size, new_addr, dontunmap)
        vma = self._resizable(old, old_size)
        if old_size >= new_size:
            if old_size > new_size:
                self.unmap(old + new_size, old_size - new_size)
            return old
        end = old + new_size
        if old + old_size == vma.end and end <= self.arch.task_size and self.is_free(vma.end, end):
            if vma.backing is not None and vma.image_end >= vma.end:
                vma.image_end = end               # a file mapping grows over more of its file
            vma.end = end
            return old
        if not may_move:
            raise KernelError(errno.ENOMEM)
        return self._move(vma, old, old_size, new_size, self.get_unmapped_area(new_size), False)

    def _resizable(self, old: int, old_size: int) -> VmArea:
        vma = self.find_vma(old)
        if vma is None or old_size > vma.end - old:
            raise KernelError(errno.EFAULT)       # unmapped, or across areas
        if old_size == 0 and not vma.shared:
            raise KernelError(errno.EINVAL)       # only shared mappings can be duplicated
        return vma

    def _move(self, vma: VmArea, old: int, old_size: int, new_size: int, target: int, dontunmap: bool) -> int:
        """move_vma: the area part [old, old+old_size) becomes [target, target+new_size) with its pages (the page
        table entries move, the frames stay); with `dontunmap` the old range stays mapped, without pages.  An
        `old_size` of 0 maps the same shared object a second time."""
        if old_size == 0:
            moved = vma.copy()
            moved.start, moved.end, moved.offset = old, old, vma.offset + old - vma.start
        else:
            lo, hi = self._carve(old, old + old_size)
            moved = self.vmas[lo]
            del self.vmas[lo:hi]
            del self._starts[lo:hi]
            words, table = self.ram.words, self.page_table
            for va, slot in table.present_slots(old, old + old_size):
                pte, words[slot] = words[slot], 0
                words[table.ensure_slot(target + va - old)] = pte
            if dontunmap:
                self._insert(moved.copy())
        if moved.backing is not None:
            grows = moved.image_end >= moved.end
            moved.image_end += target - old
            if grows:
                moved.image_end = target + new_size
        moved.start, moved.end = target, target + new_size
        self._insert(moved)
        self._flush_tlb()
        return target

    def resident(self, start: int, end: int) -> bytearray:
        """mincore: one byte per page of [start, end), 1 where the page is in memory -- mapped here, or for a file
        mapping in the page cache (Linux reports the cache's pages even when this process never touched them).
        ENOMEM if part of the range is unmapped."""
        out = bytearray((end - start) >> PAGE_SHIFT)
        addr = start
        while addr < end:
            vma = self.find_vma(addr)
            if vma is None:
                raise KernelError(errno.ENOMEM)
            stop = min(vma.end, end)
            if vma.file is not None:
                for page in range(addr, min(stop, vma.image_end), PAGE_SIZE):
                    if (vma.offset + page - vma.start) >> PAGE_SHIFT in vma.file.pages:
                        out[(page - start) >> PAGE_SHIFT] = 1
            addr = stop
        for va, _slot in self.page_table.present_slots(start, end):
            out[(va - start) >> PAGE_SHIFT] = 1
        return out

    # ----------------------------------------------------------------------------------------------- brk
    def set_brk(self, new: int) -> int:
        """brk(2): move the program break; returns the (possibly unchanged) break like the raw syscall."""
        if new < self.brk_start:
            return self.brk
        old_top, new_top = page_align_up(self.brk), page_align_up(new)
        if new_top > old_top:
            if new_top > self.arch.mmap_base or not self.is_free(old_top, new_top):
                return self.brk
            heap = self.find_vma(self.brk_start) if old_top > self.brk_start else None
            if heap is not None and heap.end == old_top:
                heap.end = new_top
            else:
                self.map(old_top, new_top - old_top, PROT_READ | PROT_WRITE, name="[heap]")
        elif new_top < old_top:
            self.unmap(new_top, old_top - new_top)
        self.brk = new
        return new

    # ------------------------------------------------------------------------------------------------ fork
    def fork(self) -> "AddressSpace":
        """A copy-on-write duplicate (fork): same VMAs; private pages shared read-only with the cow mark in
        both spaces (the first write copies, see handle_fault); MAP_SHARED pages shared as they are."""
        child = AddressSpace(self.arch, self.ram, self.frames)
        child.brk_start, child.brk = self.brk_start, self.brk
        child.sigreturn_trampoline = self.sigreturn_trampoline
        child.arg_start, child.arg_end = self.arg_start, self.arg_end
        child.env_start, child.env_end, child.start_stack = self.env_start, self.env_end, self.start_stack
        child.saved_auxv = self.saved_auxv
        for vma in self.vmas:
            if vma.dontfork:                         # MADV_DONTFORK: not in the child at all
                continue
            twin = vma.copy()
            twin.locked = False                      # memory locks are not inherited
            child.vmas.append(twin)
        child._starts = [vma.start for vma in child.vmas]
        for cache in {vma.file for vma in self.vmas if vma.file is not None}:
            cache.mappers.add(child)
        words, fmt = self.ram.words, self.fmt
        pfn_shift, pfn_mask, cow_bit = fmt.pfn_shift, fmt.pfn_mask, fmt.cow_bit
        refcount = self.frames.refcount
        vmas, i = self.vmas, 0
        read_only = ~self._write_bits()
        mv = self.ram.mv
        # A table's entries as one integer, 64 bits a lane: every user leaf entry (present or PROT_NONE) has
        # the format's user bit, so moving that bit to the cow bit's place marks the entries in use and leaves
        # empty ones empty; the write bits go by one AND with a mask repeated in every lane.
        always = fmt.leaf_bits(PROT_READ) & fmt.leaf_bits(PROT_READ | PROT_WRITE) & fmt.leaf_bits(PROT_EXEC)
        always &= ~fmt.present_bit                 # the bits of every leaf entry, also a PROT_NONE one
        user_bit = always & -always                # (x86: U/S, riscv: U)
        user_shift, cow_shift = user_bit.bit_length() - 1, cow_bit.bit_length() - 1
        user_lanes = int.from_bytes(user_bit.to_bytes(8, "little") * 512, "little")
        read_only_lanes = int.from_bytes((read_only & U64).to_bytes(8, "little") * 512, "little")
        # First the parent's entries: private pages become copy-on-write, and every frame gets the reference
        # the child's entry will hold.  Then the child gets a copy of each last-level table, whole.  A table
        # whose used entries all lie in one area is done a table at a time (Linux's copy_pte_range, one PMD
        # at a time): its marks at C speed (above), the references in one loop over a list.
        not_copied = [(vma.start, vma.end) for vma in vmas if vma.dontfork or vma.wipeonfork]
        for base, row, first, last in self.page_table.leaf_runs(0, self.arch.task_size):   # in order
            low, high = base + (first << PAGE_SHIFT), base + (last << PAGE_SHIFT)
            while vmas[i].end <= low:               # pages exist only inside VMAs
                i += 1
            vma = vmas[i]
            if high < vma.end:                      # the whole run in this one area
                if vma.dontfork or vma.wipeonfork:  # the child's entries are cleared below
                    continue
                entries = words[row + first:row + last + 1]
                if not vma.shared:                  # all entries at once, as one integer (C speed)
                    at, size = (row + first) << 3, (last + 1 - first) << 3
                    run = int.from_bytes(mv[at:at + size], "little")
                    run = (run | (run & user_lanes) >> user_shift << cow_shift) & read_only_lanes
                    mv[at:at + size] = run.to_bytes(size, "little")
                for pfn in [(pte >> pfn_shift) & pfn_mask for pte in entries if pte]:
                    refcount[pfn] += 1
                continue
            for va, slot in self.page_table.present_slots(low, high + PAGE_SIZE):   # areas mixed in one table
                while vmas[i].end <= va:
                    i += 1
                vma = vmas[i]
                if vma.dontfork or vma.wipeonfork:
                    continue
                pte = words[slot]
                if not vma.shared:
                    pte = words[slot] = (pte | cow_bit) & read_only
                refcount[(pte >> pfn_shift) & pfn_mask] += 1
        child.page_table.copy_leaves(self.page_table)
        for start, end in not_copied:
            for _va, slot in child.page_table.present_slots(start, end):
                words[slot] = 0
        # Both spaces now map the same frames, the private ones no longer writable: the CPU must forget its
        # writable translations.  A small kernel TLB is kept without the write permission (a small program
        # touches most of it again at once); a large one starts afresh (rebuilding it would cost a step per
        # page the parent ever touched, most of which neither space may touch again before the next fork or
        # exit, and a page that is touched costs one walk of its leaf table).
        if len(self._tlb) <= FORK_KEEP_TLB:
            self._tlb = {va: entry & ~PROT_WRITE for va, entry in self._tlb.items()}
            child._tlb = {} if not_copied else self._tlb.copy()
        else:
            self._tlb = {}
        self._runs = {}
        self.on_tlb_flush()
        return child

    def write_protect_file(self, cache: PageCache, pages: list[int]) -> None:
        """Make pages `pages` of `cache` read-only in this space's shared mappings of it: they were just written
        back, and the next store must fault to mark them dirty again (Linux's page_mkclean)."""
        words, wanted, changed = self.ram.words, set(pages), False
        read_only = ~self._write_bits()
        for vma in self.vmas:
            if vma.file is not cache or not vma.shared:
                continue
            for va, slot in self.page_table.present_slots(vma.start, vma.end):
                if (vma.offset + va - vma.start) >> PAGE_SHIFT in wanted:
                    words[slot] &= read_only
                    changed = True
        if changed:
            self._flush_tlb()

    def _write_bits(self) -> int:
        """The bits of a leaf entry that grant write access (in both formats the same, whatever the other
        permissions of the entry)."""
        leaf_bits = self.fmt.leaf_bits
        return leaf_bits(PROT_READ | PROT_WRITE) & ~leaf_bits(PROT_READ)

    # -------------------------------------------------------------------------------------------- teardown
    def destroy(self) -> None:
        """Free every frame of this address space (exit, exec)."""
        words, fmt, frames = self.ram.words, self.fmt, self.frames
        pfn_shift, pfn_mask, refcount, free = fmt.pfn_shift, fmt.pfn_mask, frames.refcount, frames.free
        for _base, row, first, last in self.page_table.leaf_runs(0, self.arch.task_size):   # the tables go
            for pfn in [(pte >> pfn_shift) & pfn_mask for pte in words[row + first:row + last + 1] if pte]:
                count = refcount[pfn] - 1                                   # too: no entry needs clearing
                if count:                          # (frames.put, inlined: one step per page of the space)
                    refcount[pfn] = count
                else:
                    free(pfn)
        self._flush_tlb()
        if self.frames.stale_code:
            self.on_code_freed()
        for vma in self.vmas:
            vma.release()
        self.page_table.destroy()
        self.vmas.clear()
        self._starts.clear()
