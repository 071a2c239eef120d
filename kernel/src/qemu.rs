//! Leaving QEMU with a status: the `isa-debug-exit` device.
//!
//! `run.sh` starts QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=0x04`. Writing `v` to
//! port 0xF4 makes QEMU exit with status `(v << 1) | 1`, so the kernel can never produce
//! status 0; `run.sh` maps 33 (`0x10 << 1 | 1`) back to success and treats anything else as a
//! failure (0 means the guest reset, for instance after a triple fault with `-no-reboot`).

use crate::arch::cpu;

const DEBUG_EXIT_PORT: u16 = 0xF4;
const PASS_VALUE: u32 = 0x10;
const FAIL_VALUE: u32 = 0x11;

/// Ends the QEMU process: status 33 if `passed`, 35 otherwise. Halts if the device is absent.
pub fn exit(passed: bool) -> ! {
    let value = if passed { PASS_VALUE } else { FAIL_VALUE };
    // SAFETY: port 0xF4 is QEMU's debug-exit device (run.sh adds it); the write ends the VM,
    // so nothing can observe any state afterwards.
    unsafe { cpu::outl(DEBUG_EXIT_PORT, value) };
    cpu::halt_forever()
}
