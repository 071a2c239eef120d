//! Bench helpers: a background writer at a chosen rate, and a minimal spin reader-writer
//! lock (the crate's `spin` dependency is built without its `rwlock` feature).

use core::cell::UnsafeCell;
use core::hint;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

/// How hard the background writer publishes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Writer {
    /// No writer thread.
    None,
    /// One publish per millisecond.
    Khz,
    /// Publishes back to back.
    Storm,
}

impl Writer {
    pub(crate) const ALL: [Writer; 3] = [Writer::None, Writer::Khz, Writer::Storm];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Writer::None => "no-writer",
            Writer::Khz => "writer-1khz",
            Writer::Storm => "writer-storm",
        }
    }
}

/// A running background writer; stops and joins when dropped.
pub(crate) struct Background {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts calling `publish` at the rate `mode` asks for.
    pub(crate) fn start(mode: Writer, mut publish: impl FnMut() + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = match mode {
            Writer::None => None,
            Writer::Khz | Writer::Storm => {
                let stop = Arc::clone(&stop);
                Some(thread::spawn(move || {
                    let period = Duration::from_millis(1);
                    let mut next = Instant::now();
                    while !stop.load(Ordering::Relaxed) {
                        publish();
                        if let Writer::Khz = mode {
                            next += period;
                            let now = Instant::now();
                            if next > now {
                                thread::sleep(next - now);
                            } else {
                                next = now;
                            }
                        }
                    }
                }))
            }
        };
        Self { stop, thread }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A reader-writer spin lock: readers add to a count, the writer sets the top bit.
pub(crate) struct SpinRwLock<T> {
    state: AtomicUsize,
    value: UnsafeCell<T>,
}

const WRITER: usize = 1 << (usize::BITS - 1);

// SAFETY: the lock hands out `&T` to many readers only while no writer holds it, and `&mut T`
// to one writer only while no reader holds it.
unsafe impl<T: Send + Sync> Sync for SpinRwLock<T> {}

impl<T> SpinRwLock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            state: AtomicUsize::new(0),
            value: UnsafeCell::new(value),
        }
    }

    pub(crate) fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        loop {
            let seen = self.state.fetch_add(1, Ordering::Acquire);
            if seen & WRITER == 0 {
                break;
            }
            self.state.fetch_sub(1, Ordering::Relaxed);
            while self.state.load(Ordering::Relaxed) & WRITER != 0 {
                hint::spin_loop();
            }
        }
        // SAFETY: the reader count is raised and no writer holds the lock.
        let result = f(unsafe { &*self.value.get() });
        self.state.fetch_sub(1, Ordering::Release);
        result
    }

    pub(crate) fn write(&self, f: impl FnOnce(&mut T)) {
        while self
            .state
            .compare_exchange_weak(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            hint::spin_loop();
        }
        // SAFETY: the writer bit is set and the reader count was zero.
        f(unsafe { &mut *self.value.get() });
        // Clear only the writer bit: readers that bumped the count meanwhile take it back.
        self.state.fetch_and(!WRITER, Ordering::Release);
    }
}
