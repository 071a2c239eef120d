//! [`CpuSlots`]: a per-CPU `static` of [`Cpu`] handles, so that a kernel keeps one handle per
//! CPU without writing `unsafe` (Linux: per-CPU variables, `get_cpu_var`/`put_cpu_var`).
//!
//! Each CPU has two handles: one for task context and one for interrupt handlers, so that an
//! interrupt that arrives while its CPU is allocating still finds a handle (Linux allocates
//! from interrupts with the local policy and its own RCU read side). A handle is claimed for
//! the length of one closure with one atomic compare-exchange and released with one store:
//! a second claim of the same handle (a nested interrupt, or a caller passing the wrong CPU
//! number) gets [`Error::Busy`] instead of a second `&mut`, and a claim on a CPU that is not
//! up gets [`Error::InvalidCpu`].
// Unsafe is allowed here only: handing out the `&mut Cpu` inside a claimed slot.
#![allow(unsafe_code)]

use core::fmt;

use super::cpu::Cpu;
use super::system::Machine;
use crate::error::{Error, Result};
use crate::sync::{AtomicU8, Ordering, UnsafeCell};

/// No handle in the slot.
const EMPTY: u8 = 0;
/// Someone holds the slot exclusively (installing, using or removing the handle).
const BUSY: u8 = 1;
/// A handle is in the slot and nobody uses it.
const READY: u8 = 2;

/// One handle and the state that grants exclusive access to it.
///
/// Invariant: `cpu` is read or written only by the one caller that moved `state` from
/// `EMPTY` or `READY` to `BUSY`, and only until that caller stores `READY` or `EMPTY`.
struct Claim {
    state: AtomicU8,
    cpu: UnsafeCell<Option<Cpu<'static>>>,
}

// SAFETY: (1) Exclusive access: by the field invariant, only the caller that won the
// `compare_exchange` into `BUSY` touches `cpu`, so two threads never access it at once.
// (2) Ordering: that compare-exchange is `Acquire` and the store that ends the claim is
// `Release`, so every access of one claim happens before every access of the next, as if
// one thread had made them in turn. (3) What moves between threads is a `Cpu`, which is
// `!Send` only because crossbeam-epoch's `LocalHandle` and `Guard` keep unsynchronized
// counters and a bag of deferred functions, and because it remembers two raw pointers. None
// of that is tied to a thread: crossbeam keeps no thread-local state for an explicit
// `Collector` (the machine's domain), and the pointers are only compared, never
// dereferenced. Sequential use from several threads, ordered by (2), is therefore the same
// as use from one thread. Sharing a `Claim` (`Sync`) and moving one (`Send`) are both safe.
unsafe impl Sync for Claim {}
// SAFETY: as for `Sync` above: the handle inside is only ever used under a claim.
unsafe impl Send for Claim {}

/// Ends a claim when dropped, also when the closure unwinds.
struct Release<'c> {
    state: &'c AtomicU8,
    to: u8,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.state.store(self.to, Ordering::Release);
    }
}

impl Claim {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            cpu: UnsafeCell::new(None),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            cpu: UnsafeCell::new(None),
        }
    }

    /// Moves the state from `from` to `BUSY`; on failure returns the state found instead.
    fn acquire(&self, from: u8) -> core::result::Result<(), u8> {
        self.state
            .compare_exchange(from, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| ())
    }

    /// The error for a claim that found `state` instead of what it wanted: an empty slot
    /// means the CPU is down, anything else that the handle is in use or already there.
    fn refused(state: u8, cpu: u32) -> Error {
        if state == EMPTY {
            Error::InvalidCpu(cpu)
        } else {
            Error::Busy
        }
    }

    /// Whether a handle is in the slot (lent or not).
    fn is_installed(&self) -> bool {
        self.state.load(Ordering::Relaxed) != EMPTY
    }

    /// Puts `cpu` into an empty slot; `Err(Busy)` if the slot is not empty.
    fn install(&self, cpu: Cpu<'static>) -> Result<()> {
        self.acquire(EMPTY).map_err(|_| Error::Busy)?;
        let _release = Release {
            state: &self.state,
            to: READY,
        };
        // SAFETY: this caller moved the state from EMPTY to BUSY, so it alone may write the
        // cell until `_release` stores READY (field invariant).
        self.cpu.with_mut(|slot| unsafe { *slot = Some(cpu) });
        Ok(())
    }

    /// Runs `f` with the handle in the slot of CPU `index`.
    fn with<R>(&self, index: u32, f: impl FnOnce(&mut Cpu<'static>) -> R) -> Result<R> {
        self.acquire(READY)
            .map_err(|state| Self::refused(state, index))?;
        let _release = Release {
            state: &self.state,
            to: READY,
        };
        // SAFETY: this caller moved the state from READY to BUSY, so it alone may use the
        // cell until `_release` stores READY (field invariant); the `&mut` lives only for
        // the call of `f`, which cannot keep it (`f` is generic over the borrow).
        self.cpu.with_mut(|slot| match unsafe { &mut *slot } {
            Some(cpu) => Ok(f(cpu)),
            // READY always has a handle; answer as for an empty slot if it ever had not.
            None => Err(Error::InvalidCpu(index)),
        })
    }

    /// Takes the handle out of the slot of CPU `index` and empties the slot.
    fn remove(&self, index: u32) -> Result<Option<Cpu<'static>>> {
        self.acquire(READY)
            .map_err(|state| Self::refused(state, index))?;
        let _release = Release {
            state: &self.state,
            to: EMPTY,
        };
        // SAFETY: as in `with`: this caller holds the claim until `_release` stores EMPTY.
        Ok(self.cpu.with_mut(|slot| unsafe { (*slot).take() }))
    }
}

/// The two handles of one CPU.
struct CpuSlot {
    task: Claim,
    interrupt: Claim,
}

impl CpuSlot {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            task: Claim::new(),
            interrupt: Claim::new(),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            task: Claim::new(),
            interrupt: Claim::new(),
        }
    }
}

/// Per-CPU [`Cpu`] handles for up to `N` CPUs, for a `static` (Linux: a per-CPU variable
/// accessed with preemption disabled).
///
/// [`CpuSlots::bring_up`] makes a CPU's handles (one for task context, one for interrupt
/// handlers) at CPU bring-up; [`CpuSlots::with`] and [`CpuSlots::with_interrupt`] lend one
/// for the length of a closure. Lending costs one compare-exchange and one store on a cache
/// line only that CPU uses; a handle already lent (a nested interrupt, or a wrong CPU
/// number) answers [`Error::Busy`], so no code ever holds two `&mut` to one handle, and a
/// CPU that is not up answers [`Error::InvalidCpu`].
///
/// A CPU's handles must pass quiescent states now and then, or every object retired after
/// their last one (weight tables, machine states, and also policies and shared policy trees
/// freed by system calls on other CPUs) stays allocated. A handle reports one by itself when
/// an allocation sees a new state or weight table, but nothing else makes it: a CPU that
/// allocates all the time under unchanged weights never reports. Call
/// [`CpuSlots::quiescent`] from the idle loop and between pieces of task work that hold no
/// borrowed policy, and [`CpuSlots::quiescent_interrupt`] from the timer interrupt.
///
/// # Examples
/// ```
/// use mempolicy::gfp::{GfpFlags, ZoneType};
/// use mempolicy::machine::{CpuSlots, Machine, MachineCell};
/// use mempolicy::topology::Topology;
/// use mempolicy::NodeId;
///
/// static MACHINE: MachineCell = MachineCell::new();
/// static CPUS: CpuSlots<4> = CpuSlots::new();
///
/// let machine = MACHINE.try_init(|| Ok(Machine::new(Topology::from_nodes_spec("nodes=2 cpus=0,1")?)))?;
/// CPUS.bring_up(machine, 1)?;
/// let mut frames = |node: NodeId, _: ZoneType, _: u32, _: GfpFlags| Some(node);
/// let page = CPUS.with_interrupt(1, |cpu| cpu.alloc_interrupt(GfpFlags::GFP_ATOMIC, 0, &mut frames))??;
/// assert_eq!(page.node(), NodeId::new(1));
/// // A nested claim of the same handle is refused, not aliased.
/// let nested = CPUS.with(1, |_| CPUS.with(1, |_| ()))?;
/// assert_eq!(nested, Err(mempolicy::Error::Busy));
/// // A CPU that is not up has no handles.
/// assert!(!CPUS.is_up(2));
/// assert_eq!(CPUS.with(2, |_| ()), Err(mempolicy::Error::InvalidCpu(2)));
/// // The idle loop and the timer interrupt report quiescent states.
/// CPUS.quiescent(1)?;
/// CPUS.quiescent_interrupt(1)?;
/// # Ok::<(), mempolicy::Error>(())
/// ```
pub struct CpuSlots<const N: usize> {
    slots: [CpuSlot; N],
}

impl<const N: usize> CpuSlots<N> {
    /// Returns `N` empty slots (a `const fn`, for a `static`).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            slots: [const { CpuSlot::new() }; N],
        }
    }

    /// Returns `N` empty slots.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            slots: core::array::from_fn(|_| CpuSlot::new()),
        }
    }

    /// Returns how many CPUs the slots can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Returns whether CPU `cpu` is up: brought up and not taken down (`false` for a CPU
    /// number at or beyond `N`).
    pub fn is_up(&self, cpu: u32) -> bool {
        self.slot(cpu).is_ok_and(|slot| slot.task.is_installed())
    }

    fn slot(&self, cpu: u32) -> Result<&CpuSlot> {
        usize::try_from(cpu)
            .ok()
            .and_then(|index| self.slots.get(index))
            .ok_or(Error::InvalidCpu(cpu))
    }

    /// Makes CPU `cpu`'s two handles on `machine` (allocates: call it once per CPU at
    /// bring-up, from that CPU or before it starts).
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if `cpu` is at or beyond `N` or the machine has no such CPU;
    /// [`Error::Busy`] if the CPU is already up.
    pub fn bring_up(&self, machine: &'static Machine, cpu: u32) -> Result<()> {
        let slot = self.slot(cpu)?;
        let task = machine.cpu(cpu)?;
        let interrupt = machine.cpu(cpu)?;
        slot.task.install(task)?;
        if let Err(e) = slot.interrupt.install(interrupt) {
            // Leave the CPU as it was: down.
            slot.task.remove(cpu)?;
            return Err(e);
        }
        Ok(())
    }

    /// Runs `f` with CPU `cpu`'s task-context handle (Linux: `get_cpu_var` from process
    /// context).
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if `cpu` is at or beyond `N` or is not up; [`Error::Busy`] if
    /// the handle is lent already (or the CPU is being brought up or taken down right now).
    pub fn with<R>(&self, cpu: u32, f: impl FnOnce(&mut Cpu<'static>) -> R) -> Result<R> {
        self.slot(cpu)?.task.with(cpu, f)
    }

    /// Runs `f` with CPU `cpu`'s interrupt-context handle, for an interrupt handler that
    /// allocates ([`Cpu::alloc_interrupt`]); it is free even while the interrupted code
    /// holds the task-context handle.
    ///
    /// # Errors
    /// As [`CpuSlots::with`].
    pub fn with_interrupt<R>(&self, cpu: u32, f: impl FnOnce(&mut Cpu<'static>) -> R) -> Result<R> {
        self.slot(cpu)?.interrupt.with(cpu, f)
    }

    /// Reports a quiescent state for CPU `cpu`'s task-context handle (Linux: a context
    /// switch, or the idle loop, passing through a quiescent state): call it from the idle
    /// loop and from task code between pieces of work, so retired objects can be freed. The
    /// interrupt handle is left alone, so an interrupt that arrives meanwhile still finds it;
    /// [`CpuSlots::quiescent_interrupt`] reports for that one. A handle lent right now, or a
    /// CPU that is not up, is skipped. Never allocates, frees, blocks or locks.
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if `cpu` is at or beyond `N`.
    pub fn quiescent(&self, cpu: u32) -> Result<()> {
        let slot = self.slot(cpu)?;
        // Busy and empty handles are skipped on purpose: a lent handle's user reports when
        // it sees a new state or table.
        let _ = slot.task.with(cpu, Cpu::quiescent);
        Ok(())
    }

    /// Reports a quiescent state for CPU `cpu`'s interrupt-context handle and, unless the
    /// interrupted code holds it, its task-context handle (Linux: the scheduler tick noting
    /// a quiescent state). Call it from the timer interrupt, or with interrupts masked:
    /// while it holds the interrupt handle, an interrupt on this CPU that allocates would be
    /// refused with [`Error::Busy`]. A handle lent right now, or a CPU that is not up, is
    /// skipped. Never allocates, frees, blocks or locks.
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if `cpu` is at or beyond `N`.
    pub fn quiescent_interrupt(&self, cpu: u32) -> Result<()> {
        let slot = self.slot(cpu)?;
        // As in `quiescent`: lent and empty handles are skipped.
        let _ = slot.interrupt.with(cpu, Cpu::quiescent);
        let _ = slot.task.with(cpu, Cpu::quiescent);
        Ok(())
    }

    /// Drops CPU `cpu`'s handles (Linux: CPU offline): an offline CPU no longer holds back
    /// the freeing of retired objects.
    ///
    /// # Errors
    /// [`Error::InvalidCpu`] if `cpu` is at or beyond `N` or is not up; [`Error::Busy`] if a
    /// handle is lent right now.
    pub fn take_down(&self, cpu: u32) -> Result<()> {
        let slot = self.slot(cpu)?;
        let task = slot.task.remove(cpu)?;
        match slot.interrupt.remove(cpu) {
            Ok(_interrupt) => Ok(()),
            Err(e) => {
                // Leave the CPU as it was: up.
                if let Some(task) = task {
                    slot.task.install(task)?;
                }
                Err(e)
            }
        }
    }
}

#[cfg(not(loom))]
impl<const N: usize> Default for CpuSlots<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for CpuSlots<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let up = self.slots.iter().filter(|s| s.task.is_installed()).count();
        f.debug_struct("CpuSlots")
            .field("capacity", &N)
            .field("up", &up)
            .finish()
    }
}
