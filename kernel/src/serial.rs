//! The console: the first serial port (COM1, a 16550 UART at I/O port 0x3F8), polled.
//!
//! QEMU's `-serial stdio` (or `file:`) connects it to the host, and `run.sh` reads the
//! kernel's lines from there. [`println!`](crate::println) takes a lock for the whole line, so
//! lines from different CPUs never interleave.

use crate::arch::cpu;
use crate::sync::IrqLock;
use core::fmt::{self, Write};

const COM1: u16 = 0x3F8;
/// Line status register: bit 5 says the transmitter can take a byte.
const LINE_STATUS: u16 = COM1 + 5;
const TRANSMIT_EMPTY: u8 = 1 << 5;

/// The UART; owning it (behind [`CONSOLE`]) is the right to program and write COM1.
#[derive(Debug)]
pub struct Serial {
    _private: (),
}

/// The console, shared by every CPU and the panic handler.
pub static CONSOLE: IrqLock<Serial> = IrqLock::new(Serial { _private: () });

/// Programs COM1 for 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on.
pub fn init() {
    let _console = CONSOLE.lock();
    let setup: [(u16, u8); 7] = [
        (COM1 + 1, 0x00), // no UART interrupts: we poll
        (COM1 + 3, 0x80), // DLAB on: the next two writes set the baud divisor
        (COM1, 0x01),     // divisor 1 = 115200 baud (low byte)
        (COM1 + 1, 0x00), // (high byte)
        (COM1 + 3, 0x03), // DLAB off, 8 bits, no parity, 1 stop bit
        (COM1 + 2, 0xC7), // FIFOs on and cleared
        (COM1 + 4, 0x03), // DTR and RTS
    ];
    for (port, value) in setup {
        // SAFETY: these are the 16550's documented setup registers at COM1; holding the
        // console lock means no other CPU is using the UART meanwhile.
        unsafe { cpu::outb(port, value) };
    }
}

impl Serial {
    fn write_byte(&mut self, byte: u8) {
        // A bounded wait: if the UART never drains (no device), drop the byte rather than hang.
        for _ in 0..100_000 {
            // SAFETY: reading COM1's line status register has no side effect.
            if unsafe { cpu::inb(LINE_STATUS) } & TRANSMIT_EMPTY != 0 {
                break;
            }
            core::hint::spin_loop();
        }
        // SAFETY: writing the transmit register sends one byte; `&mut self` is the right to use
        // the UART.
        unsafe { cpu::outb(COM1, byte) };
    }
}

impl Write for Serial {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}

/// Writes one formatted line, holding the console for the whole line.
pub fn write_line(args: fmt::Arguments<'_>) {
    let mut console = CONSOLE.lock();
    let _ = console.write_fmt(args);
    let _ = console.write_str("\n");
}

/// Prints a line on the serial console.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::serial::write_line(format_args!($($arg)*))
    };
}

/// Writes one line even if the console lock is held (by a CPU that may have crashed holding
/// it): for the panic and exception paths only. Waits a little for the lock first.
pub fn emergency_line(args: fmt::Arguments<'_>) {
    for _ in 0..1_000_000 {
        if let Some(mut console) = CONSOLE.try_lock() {
            let _ = console.write_fmt(args);
            let _ = console.write_str("\n");
            return;
        }
        core::hint::spin_loop();
    }
    let mut console = Serial { _private: () };
    let _ = console.write_fmt(args);
    let _ = console.write_str("\n");
}
