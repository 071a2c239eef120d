//! [`IrqLock`]: a spin lock that also masks interrupts on the CPU holding it (Linux:
//! `spin_lock_irqsave`).
//!
//! The timer interrupt allocates frames, so the frame pools, the heap and the console are
//! shared between normal code and interrupt handlers. A plain spin lock would deadlock when
//! the interrupt arrives on the CPU that already holds it; masking interrupts while holding
//! the lock rules that out, and the guard restores the previous state when dropped.

use crate::arch::cpu;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

/// A spin lock that masks interrupts while held.
#[derive(Debug)]
pub struct IrqLock<T> {
    inner: spin::Mutex<T>,
}

impl<T> IrqLock<T> {
    /// Returns an unlocked lock around `value`.
    pub const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    /// Masks interrupts, then spins until the lock is free.
    pub fn lock(&self) -> IrqGuard<'_, T> {
        let were_enabled = cpu::interrupts_enabled();
        cpu::disable_interrupts();
        IrqGuard {
            guard: ManuallyDrop::new(self.inner.lock()),
            were_enabled,
        }
    }

    /// Takes the lock if it is free: for the panic path, which must not wait for a CPU that
    /// may never release it.
    pub fn try_lock(&self) -> Option<IrqGuard<'_, T>> {
        let were_enabled = cpu::interrupts_enabled();
        cpu::disable_interrupts();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqGuard {
                guard: ManuallyDrop::new(guard),
                were_enabled,
            }),
            None => {
                if were_enabled {
                    cpu::enable_interrupts();
                }
                None
            }
        }
    }
}

/// Access to the value of an [`IrqLock`]; unlocks, then restores the interrupt flag, on drop.
#[derive(Debug)]
pub struct IrqGuard<'a, T> {
    guard: ManuallyDrop<spin::MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> Deref for IrqGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqGuard<'_, T> {
    fn drop(&mut self) {
        // Unlock first: an interrupt taken right after `sti` may want this very lock.
        // SAFETY: `guard` is dropped exactly once, here, and never used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        if self.were_enabled {
            cpu::enable_interrupts();
        }
    }
}
