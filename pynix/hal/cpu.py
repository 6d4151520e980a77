"""The CPU: a Unicorn emulator instance in virtual-TLB mode over the RAM arena.

Address translation is the kernel's: on every TLB miss Unicorn calls `on_tlb_fill(va, access)`, which walks the
current page tables (and may resolve a demand-zero or copy-on-write fault on the spot) and returns
`physical_page | prot`, or -1 for a fault the kernel could not resolve.  System calls arrive in `on_syscall(nr,
a0..a5)`; an integer result is written to the return register and the guest simply continues.  A callback that
needs the scheduler (exit, block, exec, signal delivery) calls `stop()`: the trap goes to the kernel's trap
handler `on_stop`, which may switch to another task's context and go on (see `run`).

Costs that shaped this file (DESIGN.md §5): hooks are registered through raw ctypes and no Python object is
allocated per syscall.  The syscall path (`_syscall_path`) is the hottest code of the whole kernel: a null
syscall costs ~1 us, of which Unicorn's own trap and return take 0.05 us, entering Python through the ctypes
trampoline ~0.15 us, the closure itself ~0.3 us and the kernel's dispatcher and handler ~0.25 us.  It reads and
writes the syscall registers as plain memory (the register window of uc_internals.py, where every use of
Unicorn's private state is); through Unicorn's API (two ctypes calls) the same syscall costs ~0.7 us more.

Around it: the ISA subclasses in cpu_riscv64.py and cpu_x86_64.py (new_cpu, backends.py, picks one), saved
register contexts in context.py, the time-slice timer in preempt.py, the raw ctypes calls in uc_ctypes.py.
"""
from __future__ import annotations

import ctypes
import errno
import inspect
import struct
import sys
import time
from typing import Callable, Protocol, Sequence

import unicorn as uc
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from pynix.hal.context import CpuContext
from pynix.hal.preempt import Preempter
from pynix.hal.ram import PhysicalMemory
from pynix.hal.trap import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, Trap, TrapKind
from pynix.hal.uc_ctypes import (NO_ARGS_HOOK, TLB_FILL_HOOK, TlbEntry, fast_context_restore,
                                 fast_context_save, fast_ctl, fast_reg_read, fast_reg_read_batch, fast_reg_write)
from pynix.hal.uc_internals import (UnicornInternals, exits_only_between_blocks, fault_address_offset,
                                   find_register_window)

_ACCESS = {uc.UC_MEM_READ: ACCESS_READ, uc.UC_MEM_WRITE: ACCESS_WRITE, uc.UC_MEM_FETCH: ACCESS_EXEC}
_U64 = 0xFFFFFFFFFFFFFFFF
_U128 = (1 << 128) - 1
_KERNEL_STOP = Trap(TrapKind.KERNEL_STOP)     # the trap of every block, exit, exec...: one value, never changed


class KernelEntry(Protocol):
    """SMP (pynix/smp.py): the kernel's big lock, taken around every kernel entry -- each hook and the trap
    handling after `emu_start` returns -- and let go for guest code.  A single CPU has none: bare hooks."""

    def enter(self, cpu: "Cpu") -> None: ...

    def leave(self, cpu: "Cpu") -> None: ...


SyscallHandler = Callable[[int, int, int, int, int, int, int], "int | None"]
FillHandler = Callable[[int, int], int]
StopHandler = Callable[[Trap], bool]


class Cpu:
    """One emulated CPU.  Subclasses hold the emulator facts of one ISA (register ids, trap numbers)."""

    _TLB_FLUSH_CODE = (uc.UC_CTL_IO_WRITE << 30) | uc.UC_CTL_TLB_FLUSH     # uc_ctl request, no arguments

    uc_arch: int
    uc_mode: int
    registers: dict[str, int]
    word_registers: tuple[str, ...]      # the 64-bit registers among them (read/written as one machine word)
    _INVALIDATE_VA: int
    _PC_ADVANCE_AFTER_HOOK: int          # what Unicorn adds to the pc after a syscall hook returns
    live_only_registers: frozenset[str] = frozenset()   # read from a saved context, these give garbage
    use_register_window = True      # False: the syscall path uses Unicorn's register API (see _syscall_path)

    def __init__(self, ram: PhysicalMemory, syscall_registers: Sequence[str], return_register: str,
                 entry: KernelEntry | None = None, index: int = 0) -> None:
        self.ram = ram
        self.index = index              # which CPU of the machine this is (getcpu, /proc/stat)
        self._entry = entry             # SMP: the kernel lock taken around every hook (see KernelEntry)
        self._on_syscall: SyscallHandler | None = None
        self._syscall_hook: uc_hook_h | None = None
        self._window: tuple | None = None       # see uc_internals.find_register_window; () once found missing
        self.on_tlb_fill: FillHandler | None = None
        self.tlb_fills = 0              # TLB misses handed to on_tlb_fill (the timeline counts them per time slice)
        self.emu = uc.Uc(self.uc_arch, self.uc_mode)
        self._configure()
        # Before any code is translated (the flag shapes the translated code):
        self._no_exit_request = exits_only_between_blocks(self.emu)
        self.exact_preemption = self._no_exit_request is not None
        self.emu.ctl_set_tlb_mode(uc.UC_TLB_VIRTUAL)
        self.emu.mem_map_ptr(0, ram.size, uc.UC_PROT_ALL, ram.host_address)
        # emu_start's `until` would itself be translated through the fill hook: run with an empty exit list.
        self.emu.ctl_exits_enabled(True)
        self.emu.ctl_set_exits([])
        self._handle = self.emu._uch
        # The engine handle as a premade ctypes argument (the address of a never-read byte at the engine's
        # address): ctypes passes a `byref` through as it is, where it wraps a c_void_p anew on every call.
        self._engine_arg = ctypes.byref(ctypes.c_char.from_address(self._handle.value))
        self.on_stop: StopHandler | None = None
        self._trap: Trap | None = None
        self._fault: tuple[int, int] | None = None
        self._in_syscall = False        # serving a syscall: a stop waits for the end of the hook
        self._in_handler = False        # inside on_stop: the CPU is stopped already, stop() has nothing to do
        self._handled = False           # the syscall hook already handed this stop to on_stop
        self._step = False              # single_step: the next run of user code executes one instruction
        self._resume = False            # a stop handled inside the syscall hook wants a new run (to step)
        self._handler_error: BaseException | None = None
        self._raw_pc: tuple[memoryview, int] | None = None    # the pc in the register window, once found
        self._pc_names = frozenset(n for n, r in self.registers.items() if r == self.registers["pc"])
        # >= 0 while the kernel itself makes Unicorn translate addresses to drop translated code (no guest code
        # runs): the physical page every lookup that has no translation is answered with (see _fill_path).
        self._invalidate_pa = -1
        self._step_seen = 0             # instructions reached by the step run (see _step_hook)
        self._step_hook: uc_hook_h | None = None
        self._scratch: CpuContext | None = None     # access_in_context keeps the CPU's own registers here
        self._preempter: Preempter | None = None
        # The 64-bit registers, read and written through the fast calls with one reused box (the binding's
        # generic reg_read costs ~5 us: it looks up the register's class on every call).
        self._words = {name: self.registers[name] for name in self.word_registers}
        self._box = ctypes.c_uint64()
        self._box_arg = ctypes.byref(self._box)
        self._sys_ids = tuple(self.registers[r] for r in syscall_registers)     # number first, then arguments
        self._ret_id = self.registers[return_register]
        self._callbacks: list[object] = []      # keep the ctypes trampolines alive
        self._add_hook(uc.UC_HOOK_TLB_FILL, TLB_FILL_HOOK(self._kernel_entry(self._fill_path())))
        self._step_callback = NO_ARGS_HOOK(self._kernel_entry(self._count_step))
        self._install_hooks()
        self.on_syscall = None

    # ----------------------------------------------------------------------------------------- hook plumbing
    def _add_hook(self, hook_type: int, callback: object, *extra: object) -> uc_hook_h:
        self._callbacks.append(callback)
        return self._register_hook(hook_type, callback, *extra)

    def _register_hook(self, hook_type: int, callback: object, *extra: object) -> uc_hook_h:
        """Register `callback` (kept alive by the caller) for every address."""
        handle = uc_hook_h()
        args = [ctypes.c_uint64(1), ctypes.c_uint64(0)] + list(extra)
        status = uclib.uc_hook_add(self._handle, ctypes.byref(handle), hook_type,
                                   ctypes.cast(callback, ctypes.c_void_p), None, *args)
        if status != 0:
            raise RuntimeError(f"uc_hook_add failed: {status}")
        return handle

    def _kernel_entry(self, hook: Callable) -> Callable:
        """`hook` as registered with the emulator: bare on a single CPU, inside the kernel lock on SMP."""
        entry = self._entry
        if entry is None:
            return hook
        enter, leave, cpu = entry.enter, entry.leave, self

        def locked(*args: object) -> object:
            enter(cpu)
            try:
                return hook(*args)
            finally:
                leave(cpu)
        return locked

    def kick(self) -> None:
        """An IPI (SMP): this CPU, running guest code on another host thread, stops at the end of its translated
        block and enters the kernel (a TIMER trap if nothing else is pending).  From any thread; lost if the CPU
        is not inside the emulator (then it is in the kernel, or about to enter it, and looks there anyway)."""
        self.emu.emu_stop()

    @property
    def on_syscall(self) -> SyscallHandler | None:
        """The kernel's syscall entry, called as `on_syscall(nr, a0, ..., a5)` for every syscall trap."""
        return self._on_syscall

    @on_syscall.setter
    def on_syscall(self, handler: SyscallHandler | None) -> None:
        # The trap hook is a closure over the handler and everything else it touches (see _syscall_path), so
        # installing a handler rebuilds it and replaces the registered hook.  Until the kernel installs its
        # handler, every syscall fails with ENOSYS.
        self._on_syscall = handler
        if self._syscall_hook is not None:
            uclib.uc_hook_del(self._handle, self._syscall_hook)
        self._syscall_hook = self._install_syscall_hook(
            self._syscall_path(handler or (lambda nr, *args: -errno.ENOSYS)))

    @property
    def internals(self) -> UnicornInternals:
        """Which of the Unicorn tricks of uc_internals.py are active on this CPU (both are set up with it)."""
        return UnicornInternals(register_window=bool(self._window), exits_between_blocks=self.exact_preemption)

    def _bug(self, where: str) -> None:
        """An exception escaped a kernel callback: a kernel bug.  Report it and stop the CPU."""
        import traceback
        print(f"pynix: kernel bug in {where}:\n{traceback.format_exc()}", file=sys.stderr, end="")
        self.stop(Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=self.read("pc")))

    def _fill_path(self) -> Callable:
        """The TLB-miss hook (a closure, like `_syscall_path`): ask the kernel, then fill in Unicorn's entry.
        The entry arrives as a plain address; it lives on the emulator's stack, at one of a few places (one
        per path into the fill: code fetch, load, store...), so the struct over each is made once and reused
        (~0.2 us of a ~1.2 us fill; with one cached place, three fills in four made a new one)."""
        access_of = _ACCESS.get
        cpu = self
        structs: dict[int, object] = {}           # entry address -> a struct over it
        struct_at = structs.get

        def fill(_h: int, va: int, access: int, entry_at: int) -> bool:
            try:
                cpu.tlb_fills += 1
                acc = access_of(access, ACCESS_READ)
                result = cpu.on_tlb_fill(va, acc)
                if result < 0:
                    if cpu._invalidate_pa >= 0:       # the kernel drops code (invalidate_code, _end_step)
                        result = cpu._invalidate_pa | 7
                    else:
                        cpu._fault = (va, acc)
                        return False
                e = struct_at(entry_at)
                if e is None:
                    if len(structs) >= 64:        # (a bound, should the stack ever wander)
                        structs.clear()
                    e = structs[entry_at] = TlbEntry.from_address(entry_at)
                e.paddr = result & ~0xFFF
                e.perms = result & 7
                return True
            except Exception:
                cpu._fault = (va, access_of(access, ACCESS_READ))
                import traceback
                print(f"pynix: kernel bug in TLB fill at {va:#x}:\n{traceback.format_exc()}", file=sys.stderr, end="")
                return False
        return fill

    # ------------------------------------------------------------------------------------- the syscall path
    def _syscall_path(self, handler: SyscallHandler) -> Callable[[], None]:
        """The function run on every syscall trap: read the number and the six arguments, call `handler`,
        write its result (unless it is None) to the return register.

        This is the hot path of every syscall, so it is a closure: everything it uses is a local variable
        (no attribute lookups per call) made here, once.  With the register file in reach (the register window
        of uc_internals.py)
        it touches the registers as plain memory, with no call into C at all; otherwise it uses two ctypes calls
        (`uc_reg_read_batch`, `uc_reg_write`), which cost ~0.4 us each."""
        # A function or bound method is called by the interpreter directly; an object with __call__ (the
        # dispatcher) would go through the slower generic call protocol, so its bound __call__ is used instead.
        call = handler if inspect.isroutine(handler) else handler.__call__
        bug = self._bug
        if self._window is None:
            reg_ids = list(self._sys_ids) + [self._ret_id, self.registers["pc"]]
            self._window = (self.use_register_window and find_register_window(self.emu, reg_ids)) or ()
        window = self._window
        if window:
            regs, (nr_at, a0_at, a1_at, a2_at, a3_at, a4_at, a5_at, ret_at, pc_at) = window
            self._raw_pc = (regs, pc_at)
            cpu = self

            def serve_syscall() -> None:
                cpu._in_syscall = True
                try:
                    result = call(regs[nr_at], regs[a0_at], regs[a1_at], regs[a2_at], regs[a3_at], regs[a4_at],
                                  regs[a5_at])
                    if result is not None:
                        regs[ret_at] = result & _U64
                except Exception:
                    bug("syscall")
                finally:
                    cpu._in_syscall = False
                if cpu._trap is not None:          # the syscall stopped the CPU (block, exit, exec, signal...)
                    cpu._stop_in_syscall()
            return serve_syscall

        count = len(self._sys_ids)
        ids = (ctypes.c_int * count)(*self._sys_ids)
        values = (ctypes.c_uint64 * count)()
        pointers = (ctypes.c_void_p * count)(*(ctypes.addressof(values) + 8 * i for i in range(count)))
        result_box = ctypes.c_uint64()
        # Premade `byref` arguments: ctypes passes them through as they are, where a ctypes object or array
        # would first be wrapped in a new argument object on every call.
        engine, ret_id = self._engine_arg, self._ret_id
        ids_arg, pointers_arg, result_arg = ctypes.byref(ids), ctypes.byref(pointers), ctypes.byref(result_box)
        read_batch, write_reg = fast_reg_read_batch, fast_reg_write
        # All the register values become Python ints in one C call (instead of one ctypes indexing each).
        unpack = struct.Struct(f"{count}Q").unpack_from

        cpu = self

        def serve_syscall_through_api() -> None:
            cpu._in_syscall = True
            try:
                read_batch(engine, ids_arg, pointers_arg, count)
                nr, a0, a1, a2, a3, a4, a5 = unpack(values)
                result = call(nr, a0, a1, a2, a3, a4, a5)
                if result is not None:
                    result_box.value = result & _U64
                    write_reg(engine, ret_id, result_arg)
            except Exception:
                bug("syscall")
            finally:
                cpu._in_syscall = False
            if cpu._trap is not None:
                cpu._stop_in_syscall()
        return serve_syscall_through_api

    # ------------------------------------------------------------------------------------ kernel interface
    def run(self) -> Trap:
        """Run user code from the current registers.  Every stop -- a syscall that blocked, exited or exec'd,
        a fault, an illegal instruction, the end of the time slice -- goes to the kernel's trap handler,
        `on_stop(trap)`, with the registers as they are after the trapping instruction.  The handler may switch
        the CPU to another task's context; it returns True to go on running user code (whichever task's it now
        is), False to have `run` return that trap.  Without a handler `run` returns the first trap.

        A stop inside a syscall is handled without leaving the emulator (`_stop_in_syscall`): leaving and
        re-entering `emu_start` costs ~15 us, more than everything else in a task switch."""
        while True:
            self._trap = None
            self._fault = None
            self._handled = self._resume = False
            stepping, self._step = self._step, False
            pc = self.read("pc")
            if stepping:
                self._begin_step()
            entry = self._entry
            if entry is not None:                  # SMP: the kernel lock is not held while guest code runs
                entry.leave(self)
            try:
                self.emu.emu_start(pc, 0)
            except uc.UcError as err:
                if self._trap is None:
                    self._trap = self._decode_error(err)
            finally:
                if entry is not None:
                    entry.enter(self)
            if stepping:
                self._end_step()
            if self._handler_error is not None:
                error, self._handler_error = self._handler_error, None
                raise error
            if self._handled:                      # on_stop had it inside the syscall and chose to stop
                return self._trap
            if self._resume:                       # ... and to go on with a single step
                continue
            if stepping and self._trap is None and self._step_seen < 2:
                self._step = True                  # the timer or a kick stopped it before its instruction: again
                continue
            trap = self._trap or Trap(TrapKind.SINGLE_STEP if stepping else TrapKind.TIMER, pc=self.read("pc"))
            if self.on_stop is None or not self._handle_stop(trap):
                return trap

    def single_step(self) -> None:
        """The next run of user code executes one instruction, then the kernel gets a SINGLE_STEP trap (a
        debugger's step: an emulator run limited to one instruction, so nothing else runs slower)."""
        self._step = True

    def watch(self, address: int, length: int, access: int) -> object:
        """A data watchpoint (a debugger's): user code's accesses of kind `access` (ACCESS_READ and/or
        ACCESS_WRITE bits) to the *physical* range [address, address + length) -- in virtual-TLB mode
        Unicorn's memory hooks see physical addresses -- stop the CPU with a WATCHPOINT trap (its `addr` the
        physical address accessed) at the end of the translated block that made them.  While one is set every
        guest access takes Unicorn's hooked path.  Returns the handle `unwatch` takes."""
        def hit(_uc: object, kind: int, addr: int, _size: int, _value: int, _data: object) -> None:
            try:
                self.stop(Trap(TrapKind.WATCHPOINT, pc=self.read("pc"), addr=addr,
                               access=ACCESS_WRITE if kind == uc.UC_MEM_WRITE else ACCESS_READ))
            except Exception:
                self._bug("watchpoint hook")
        types = (uc.UC_HOOK_MEM_WRITE if access & ACCESS_WRITE else 0) | \
            (uc.UC_HOOK_MEM_READ if access & ACCESS_READ else 0)
        handle = self.emu.hook_add(types, self._kernel_entry(hit), begin=address, end=address + length - 1)
        self.emu.ctl_flush_tb()                    # code translated before has no call to the hook,
        self.flush_tlb()                           # and TLB entries filled before take the fast path
        return handle

    def unwatch(self, handle: object) -> None:
        self.emu.hook_del(handle)
        self.emu.ctl_flush_tb()
        self.flush_tlb()

    def _begin_step(self) -> None:
        """Arm a step: a code hook before every instruction stops the CPU at the second one (Unicorn's own
        instruction count, emu_start's `count`, is not used: see _end_step).  Code translated while stops are
        deferred to block starts (uc_internals.exits_only_between_blocks) does not look at that stop until the
        block ends, and code translated before the hook existed does not call it at all.  So the code is
        translated again with stops honoured at once -- and if the step's instruction leaves its block (a
        jump, a call, a ret), the block it goes to must count too: every translation is dropped first."""
        if self._no_exit_request is not None:
            self._no_exit_request.value = False
        self.emu.ctl_flush_tb()
        self._step_seen = 0
        self._step_hook = self._register_hook(uc.UC_HOOK_CODE, self._step_callback)

    def _count_step(self) -> None:
        self._step_seen += 1
        if self._step_seen > 1:                    # the stepped instruction is done
            self.emu.emu_stop()

    def _end_step(self) -> None:
        """Disarm the step right after its run, and drop its translations (to be made again the fast way).
        Deleting a code hook makes Unicorn invalidate the blocks it instrumented by *virtual* address,
        translated through the TLB of the address space current at that moment, outside any guest code: a
        lookup that fails there leaves Unicorn recording an exception and jumping into the stack frame of a
        guest run that is over (the next run then fails where it is, with an error but no fault -- in another
        process, if the kernel switched spaces).  Unicorn's own counter hook is deleted by the next emu_start,
        in the tracer's space after a ptrace step, where the tracee's pc may be unmapped or not executable;
        and the stepped syscall may have changed the tracee's own mappings or switched tasks.  So the hook is
        deleted here with every lookup answered (whatever page the invalidation then hits loses translations
        that are dropped anyway), and the TLB flushed of those answers."""
        self._invalidate_pa = 0
        try:
            uclib.uc_hook_del(self._handle, self._step_hook)
        finally:
            self._invalidate_pa = -1
        self._step_hook = None
        if self._no_exit_request is not None:
            self._no_exit_request.value = True
        self.emu.ctl_flush_tb()
        self.flush_tlb()

    def set_timeslice(self, timeslice_us: int) -> None:
        """Arm the preemption timer: the running task gets a TIMER trap `timeslice_us` from now."""
        if self._preempter is None:
            self._preempter = Preempter(self.emu.emu_stop)
        self._preempter.arm(time.monotonic() + timeslice_us / 1e6)

    def _handle_stop(self, trap: Trap) -> bool:
        if self._preempter is not None:
            self._preempter.disarm()               # the slice is over; the handler arms the next one
        self._in_handler = True
        try:
            return self.on_stop(trap)
        finally:
            self._in_handler = False

    def _stop_in_syscall(self) -> None:
        """End of a syscall hook that asked the CPU to stop: hand the trap to `on_stop` right here, inside the
        emulator.  If it goes on, the guest simply resumes from the registers it left -- the same task's or
        another's -- and `emu_start` never returns.  Unicorn adds `_PC_ADVANCE_AFTER_HOOK` to the pc once the
        hook returns (x86's `syscall`), so the handler sees the pc advanced and the emulator gets it back
        unadvanced.  The pc is written as plain memory (the register window): through the API the write would
        also make Unicorn abandon its current translation block.  Without the register window the CPU simply
        stops, and run() hands the trap over once emu_start has returned."""
        if self.on_stop is not None and self._raw_pc is not None:
            regs, pc_at = self._raw_pc
            advance = self._PC_ADVANCE_AFTER_HOOK
            regs[pc_at] = (regs[pc_at] + advance) & _U64
            try:
                go_on = self._handle_stop(self._trap)
            except BaseException as error:         # re-raised by run(), as if the handler ran outside
                self._handler_error, go_on = error, False
            regs[pc_at] = (regs[pc_at] - advance) & _U64
            if go_on:
                self._trap = None
                self._fault = None
                if self._step:                     # a step needs a run of its own: leave this one
                    self._resume = True
                    self.emu.emu_stop()
                return
            self._handled = True
        self.emu.emu_stop()

    def _decode_error(self, err: "uc.UcError") -> Trap:
        pc = self.read("pc")
        if self._fault is not None:
            page, acc = self._fault
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=self._fault_address(page), access=acc)
        if err.errno == uc.UC_ERR_INSN_INVALID:
            return Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=pc)
        if err.errno in (uc.UC_ERR_READ_UNMAPPED, uc.UC_ERR_READ_PROT):
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_READ)
        if err.errno in (uc.UC_ERR_WRITE_UNMAPPED, uc.UC_ERR_WRITE_PROT):
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_WRITE)
        return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_EXEC)

    def _fault_address(self, page: int) -> int:
        """The address of the access the fill hook refused, of which it was told only the `page`: as Linux's
        cr2/stval, the first byte the access could not reach (uc_internals.fault_address_offset).  The page
        itself where Unicorn's field cannot be found or holds an address of another page."""
        offset = fault_address_offset()
        if offset is None:
            return page
        address = ctypes.c_uint64.from_address(self._handle.value + offset).value
        return address if address & ~0xFFF == page else page

    def stop(self, trap: Trap | None = None) -> None:
        """Stop user code and hand `trap` (default KERNEL_STOP) to the kernel's trap handler: at the end of the
        syscall being served, or at once from other callbacks.  Inside the handler it does nothing."""
        if self._in_handler:
            return
        if self._trap is None:
            self._trap = trap or _KERNEL_STOP
        if not self._in_syscall:
            self.emu.emu_stop()

    def read(self, name: str) -> int:
        if name in self._pc_names and self._raw_pc is not None:
            regs, pc_at = self._raw_pc
            return regs[pc_at]
        reg = self._words.get(name)
        if reg is None:                           # a wide or odd-sized register: the binding knows its shape
            return self.emu.reg_read(self.registers[name])
        fast_reg_read(self._engine_arg, reg, self._box_arg)
        return self._box.value

    def write(self, name: str, value: int) -> None:
        if name in self._pc_names and self._raw_pc is not None:   # not through the API: see _stop_in_syscall
            regs, pc_at = self._raw_pc
            regs[pc_at] = value & _U64
            return
        reg = self._words.get(name)
        if reg is None:                           # a wide register (xmm: 128 bits) is written whole
            self.emu.reg_write(self.registers[name], value & _U128)
            return
        self._box.value = value & _U64
        fast_reg_write(self._engine_arg, reg, self._box_arg)

    def rewind_pc(self, size: int) -> None:
        """Move the pc `size` bytes back (onto the syscall instruction of a syscall to run again)."""
        if self._raw_pc is not None:
            regs, pc_at = self._raw_pc
            regs[pc_at] = (regs[pc_at] - size) & _U64
        else:
            self.write("pc", self.read("pc") - size)

    def read_many(self, names: Sequence[str]) -> list[int]:
        read = self.read
        return [read(n) for n in names]

    def write_many(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            self.write(name, value)

    def flush_tlb(self) -> None:
        """Forget every cached translation (after page-table changes or an address-space switch)."""
        fast_ctl(self._engine_arg, self._TLB_FLUSH_CODE)

    def flush_code(self) -> None:
        """Forget all translated code and translations (RAM was rewritten wholesale: a snapshot restored)."""
        self.emu.ctl_flush_tb()
        self.flush_tlb()

    def invalidate_code(self, frames: list[int]) -> None:
        """Drop the translated code of physical frames (freed code frames about to be reused).

        Unicorn only offers invalidation by *virtual* range, translated through the TLB-fill hook; so a reserved
        address outside user space is made to translate to each frame in turn (see `_fill_path`).  The lookup
        goes through the TLB, so it is flushed before each frame (else every frame after the first would reuse
        the first one's translation and keep its stale code) and after the last."""
        for pfn in frames:
            self._invalidate_pa = pfn << 12
            self.flush_tlb()
            self.emu.ctl_remove_cache(self._INVALIDATE_VA, self._INVALIDATE_VA + 4096)
        self._invalidate_pa = -1
        self.flush_tlb()

    def syscall_return_pc(self) -> int:
        """Inside a syscall: the user pc it returns to, past the syscall instruction (Linux's
        instruction_pointer(regs) at syscall entry), though Unicorn moves x86's there only after the hook."""
        return (self.read("pc") + self._PC_ADVANCE_AFTER_HOOK) & _U64

    def save_context(self) -> CpuContext:
        """A new context holding the current registers -- inside a syscall, as they will be when it returns
        (the pc past the syscall instruction, where Unicorn moves it only after the hook)."""
        ctx = CpuContext(self._engine_arg, self._words, self.registers, self)
        fast_context_save(self._engine_arg, ctx._handle)
        if self._in_syscall and self._PC_ADVANCE_AFTER_HOOK:
            ctx.write("pc", ctx.read("pc") + self._PC_ADVANCE_AFTER_HOOK)
        return ctx

    def access_in_context(self, ctx: CpuContext, access: Callable[[object], None], write: bool = False) -> None:
        """Run `access(engine)` on the registers of `ctx` loaded in the CPU, then put the CPU's own back: for
        the registers Unicorn reads and writes correctly only in a CPU (`live_only_registers`)."""
        if self._scratch is None:
            self._scratch = CpuContext(self._engine_arg, self._words, self.registers)
        fast_context_save(self._engine_arg, self._scratch._handle)
        fast_context_restore(self._engine_arg, ctx._handle)
        access(self._engine_arg)
        if write:
            fast_context_save(self._engine_arg, ctx._handle)
        fast_context_restore(self._engine_arg, self._scratch._handle)

    def update_context(self, ctx: CpuContext) -> None:
        """Save the registers into `ctx` (a context switch: ~0.4 us through the fast call)."""
        fast_context_save(self._engine_arg, ctx._handle)

    def restore_context(self, ctx: CpuContext) -> None:
        fast_context_restore(self._engine_arg, ctx._handle)

    # ISA-specific parts
    def _configure(self) -> None:
        raise NotImplementedError

    def _install_hooks(self) -> None:
        """Register the hooks of the traps other than syscalls."""
        raise NotImplementedError

    def _install_syscall_hook(self, serve_syscall: Callable[[], None]) -> uc_hook_h:
        """Register the hook that runs `serve_syscall()` on every syscall trap; return its handle."""
        raise NotImplementedError

    def reset_user_state(self) -> None:
        """Registers of a freshly exec'd task: all zero, FP enabled."""
        raise NotImplementedError

