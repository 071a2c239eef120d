//! The single import point for atomics, locks, cells and epoch reclamation.
//!
//! Under `--cfg loom` every item here becomes loom's model of it (and crossbeam-epoch switches
//! itself to loom under `--cfg crossbeam_loom`), so the loom models in `loom-tests/` check the
//! code that ships. No other module names `core::sync::atomic`, `spin` or `crossbeam_epoch`.

// A facade: not every item is used in every build configuration.
#![allow(unused_imports, dead_code)]

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU16, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU16, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

/// Epoch-based reclamation (crossbeam-epoch, or its loom build under `--cfg crossbeam_loom`).
pub(crate) use crossbeam_epoch as epoch;

/// The lock audit of `--cfg mempolicy_audit` builds: how many times any lock of the crate was
/// taken, so a test can show that a path takes none. Absent from every other build.
#[cfg(mempolicy_audit)]
pub(crate) mod audit {
    /// Every [`Mutex::lock`](super::Mutex::lock) of the process, counted.
    pub(crate) static LOCKS_TAKEN: super::AtomicUsize = super::AtomicUsize::new(0);
}

/// A spin lock, or loom's mutex under `cfg(loom)`, behind one API.
///
/// Writers of shared state (weight tables, zonelists) serialize on it; readers never take it.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T> {
    #[cfg(not(loom))]
    inner: spin::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    #[cfg(not(loom))]
    pub(crate) const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    /// Creates an unlocked mutex holding `value`.
    #[cfg(loom)]
    pub(crate) fn new(value: T) -> Self {
        Self {
            inner: loom::sync::Mutex::new(value),
        }
    }

    /// Acquires the lock, spinning until it is free.
    pub(crate) fn lock(&self) -> impl core::ops::DerefMut<Target = T> + '_ {
        #[cfg(mempolicy_audit)]
        audit::LOCKS_TAKEN.fetch_add(1, Ordering::Relaxed);
        #[cfg(not(loom))]
        return self.inner.lock();
        #[cfg(loom)]
        return match self.inner.lock() {
            Ok(guard) => guard,
            // A loom model thread panicked with the lock held; the model has failed already.
            Err(poisoned) => poisoned.into_inner(),
        };
    }

    /// Consumes the mutex and returns the value.
    #[cfg(not(loom))]
    pub(crate) fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Consumes the mutex and returns the value.
    #[cfg(loom)]
    pub(crate) fn into_inner(self) -> T {
        match self.inner.into_inner() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// A cell written once, then read lock-free (spin's `Once`: `call_once` spins while another
/// CPU runs the initialiser). Not modelled under loom: nothing the models check uses it.
#[cfg(not(loom))]
pub(crate) type Once<T> = spin::Once<T>;

/// An `UnsafeCell` with loom's closure API, so that loom can track every access to the memory
/// behind it (and report a use after free when a freed cell is touched).
#[derive(Debug)]
pub(crate) struct UnsafeCell<T> {
    #[cfg(not(loom))]
    inner: core::cell::UnsafeCell<T>,
    #[cfg(loom)]
    inner: loom::cell::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[cfg(not(loom))]
    pub(crate) const fn new(value: T) -> Self {
        Self {
            inner: core::cell::UnsafeCell::new(value),
        }
    }

    /// Wraps `value`.
    #[cfg(loom)]
    pub(crate) fn new(value: T) -> Self {
        Self {
            inner: loom::cell::UnsafeCell::new(value),
        }
    }

    /// Calls `f` with a shared raw pointer to the value.
    #[allow(dead_code)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.inner.get());
        #[cfg(loom)]
        return self.inner.with(f);
    }

    /// Calls `f` with a mutable raw pointer to the value.
    #[allow(dead_code)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.inner.get());
        #[cfg(loom)]
        return self.inner.with_mut(f);
    }
}
