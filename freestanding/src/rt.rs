//! The minimal runtime of the freestanding binary: entry point, raw Linux syscalls, output,
//! a bump allocator, the panic handler and the `mem*` functions the compiler calls.
//!
//! Only x86_64 Linux: the binary is linked with `-nostartfiles -nostdlib -static -no-pie`, so
//! nothing here may come from libc.

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
compile_error!("the freestanding check runs only on x86_64 Linux");

use core::alloc::{GlobalAlloc, Layout};
use core::arch::{asm, naked_asm};
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicUsize, Ordering};

const SYS_WRITE: usize = 1;
const SYS_EXIT_GROUP: usize = 231;

/// Process entry. The kernel starts us with `rsp` 16-byte aligned and pointing at `argc`;
/// the `call` pushes a return address, so `start_rust` sees the usual ABI alignment.
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn _start() -> ! {
    naked_asm!(
        "xor ebp, ebp",
        "and rsp, -16",
        "call {main}",
        "ud2",
        main = sym start_rust,
    )
}

extern "C" fn start_rust() -> ! {
    exit(crate::main())
}

/// Ends the process with `code` (Linux `exit_group`).
pub fn exit(code: i32) -> ! {
    // SAFETY: `exit_group` takes one integer argument and never returns; the asm clobbers
    // only the registers the syscall ABI names.
    unsafe {
        asm!(
            "syscall",
            in("rax") SYS_EXIT_GROUP,
            in("rdi") code as isize,
            options(noreturn, nostack),
        )
    }
}

/// Writes all of `bytes` to standard output (Linux `write` on fd 1), giving up on error.
fn write_stdout(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let ret: isize;
        // SAFETY: `write` only reads `len` bytes from `ptr`, which `bytes` keeps alive; the
        // syscall clobbers rcx and r11, declared here.
        unsafe {
            asm!(
                "syscall",
                inlateout("rax") SYS_WRITE as isize => ret,
                in("rdi") 1usize,
                in("rsi") bytes.as_ptr(),
                in("rdx") bytes.len(),
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            )
        }
        if ret <= 0 {
            return;
        }
        bytes = &bytes[ret as usize..];
    }
}

/// Standard output as a `fmt::Write`.
pub struct Stdout;

impl Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_stdout(s.as_bytes());
        Ok(())
    }
}

/// Prints a formatted line to standard output.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::rt::Stdout, $($arg)*);
    }};
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    crate::println!("freestanding: panic: {info}");
    exit(1)
}

/// Heap size: crossbeam-epoch allocates a few KiB per registered handle and this allocator
/// never reuses memory.
const HEAP_SIZE: usize = 4 << 20;

/// A bump allocator over a static buffer; `dealloc` is a no-op.
struct Bump {
    heap: UnsafeCell<[u8; HEAP_SIZE]>,
    /// Offset of the first free byte.
    next: AtomicUsize,
}

// SAFETY: the buffer is only handed out in disjoint pieces, each claimed once by a
// compare-exchange on `next`; no two callers ever get overlapping ranges.
unsafe impl Sync for Bump {}

// SAFETY: `alloc` returns either null or a range of `layout.size()` bytes inside `heap`,
// aligned to `layout.align()`, claimed by exactly one successful compare-exchange and never
// handed out again; the buffer lives for the whole program.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.heap.get() as *mut u8;
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            let addr = base as usize + next;
            let start = (addr + layout.align() - 1) & !(layout.align() - 1);
            let end = start - base as usize + layout.size();
            if end > HEAP_SIZE {
                return core::ptr::null_mut();
            }
            match self
                .next
                .compare_exchange_weak(next, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                // SAFETY: `start - base <= end <= HEAP_SIZE`, so the offset stays in `heap`.
                Ok(_) => return unsafe { base.add(start - base as usize) },
                Err(seen) => next = seen,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    heap: UnsafeCell::new([0; HEAP_SIZE]),
    next: AtomicUsize::new(0),
};

/// Returns how many heap bytes have been handed out.
pub fn heap_used() -> usize {
    ALLOCATOR.next.load(Ordering::Relaxed)
}

// The compiler lowers copies, fills and comparisons to these symbols, which libc would
// normally provide. Volatile byte accesses keep the optimiser from turning the loops back
// into calls to the functions themselves.

/// Copies `n` bytes from `src` to `dest` (the ranges do not overlap).
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: `i < n`, and the caller guarantees both ranges hold `n` bytes.
        unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`; the ranges may overlap.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        for i in 0..n {
            // SAFETY: as in `memcpy`; copying upwards never overwrites an unread source byte
            // when `dest` is below `src`.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as in `memcpy`; copying downwards never overwrites an unread source byte
            // when `dest` is above `src`.
            unsafe { dest.add(i).write_volatile(src.add(i).read_volatile()) };
        }
    }
    dest
}

/// Fills `n` bytes at `dest` with the low byte of `c`.
///
/// # Safety
/// `dest` must be writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: `i < n` and the caller guarantees `dest` holds `n` bytes.
        unsafe { dest.add(i).write_volatile(c as u8) };
    }
    dest
}

/// Compares `n` bytes; returns the difference of the first differing pair, or 0.
///
/// # Safety
/// `a` and `b` must be readable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: `i < n` and the caller guarantees both ranges hold `n` bytes.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// Returns 0 when the `n` bytes are equal, non-zero otherwise.
///
/// # Safety
/// `a` and `b` must be readable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee is `memcmp`'s.
    unsafe { memcmp(a, b, n) }
}

// The precompiled `alloc` is built for unwinding and names these two symbols, although with
// `panic = "abort"` nothing ever unwinds. They only have to exist.

/// Never called: nothing unwinds under `panic = "abort"`.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// Never called: nothing unwinds under `panic = "abort"`.
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    exit(134)
}
