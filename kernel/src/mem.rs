//! The symbols the compiler expects a C library to provide: `memcpy`, `memmove`, `memset`,
//! `memcmp`, `bcmp`, and the two unwinding names the precompiled `alloc` refers to.
//!
//! Copies and fills use `rep movsb` / `rep stosb`, which QEMU's TCG runs as one fast helper
//! per instruction (a byte loop would cost a translated instruction per byte when the kernel
//! fills page frames). Comparisons are rare and use a volatile byte loop, which the optimiser
//! cannot turn back into a call to `memcmp` itself.

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest` (the ranges do not overlap).
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: `rep movsb` copies rcx bytes from [rsi] to [rdi] upwards (the direction flag is
    // clear, as the ABI guarantees); the caller guarantees both ranges.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dest => _, inout("rsi") src => _,
            options(nostack, preserves_flags))
    };
    dest
}

/// Copies `n` bytes from `src` to `dest`; the ranges may overlap.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // `dest` is below `src` or past its end: an upward copy never overwrites an unread byte.
        // SAFETY: as in `memcpy`.
        return unsafe { memcpy(dest, src, n) };
    }
    // SAFETY: `dest` lies inside the source, above it: copy downwards, from the last byte,
    // with the direction flag set for the one instruction and cleared again.
    unsafe {
        asm!("std", "rep movsb", "cld",
            inout("rcx") n => _, inout("rdi") dest.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
            options(nostack))
    };
    dest
}

/// Fills `n` bytes at `dest` with the low byte of `c`.
///
/// # Safety
/// `dest` must be writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: `rep stosb` stores al into rcx bytes from [rdi] upwards; the caller guarantees
    // the range.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dest => _, in("al") c as u8,
            options(nostack, preserves_flags))
    };
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

/// Never called: nothing unwinds under `panic = "abort"`, but the precompiled `alloc` names it.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// Never called, as `rust_eh_personality`.
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    crate::qemu::exit(false)
}
