//! Delays from the legacy programmable interval timer (8254 PIT), channel 2.
//!
//! Starting a CPU needs waits of known length (10 ms after INIT, 200 µs after a startup
//! IPI), before anything else can measure time. Channel 2 counts down at 1.193182 MHz; in
//! mode 0 its output, readable in bit 5 of port 0x61, rises when the count reaches zero.

use crate::arch::cpu;

const PIT_HZ: u64 = 1_193_182;
const CHANNEL2_DATA: u16 = 0x42;
const COMMAND: u16 = 0x43;
const SPEAKER_CONTROL: u16 = 0x61;
/// Channel 2, low byte then high byte, mode 0 (interrupt on terminal count), binary.
const CHANNEL2_ONE_SHOT: u8 = 0b1011_0000;

/// Serialises users of channel 2. Interrupt handlers never wait, so a plain spin lock will do.
static PIT: spin::Mutex<()> = spin::Mutex::new(());

/// Busy-waits for at least `micros` microseconds.
pub fn wait_us(micros: u64) {
    let mut ticks = micros * PIT_HZ / 1_000_000 + 1;
    let _pit = PIT.lock();
    while ticks > 0 {
        let chunk = ticks.min(0xFFFF);
        one_shot(chunk as u16);
        ticks -= chunk;
    }
}

fn one_shot(count: u16) {
    // SAFETY: ports 0x42, 0x43 and 0x61 are the PIT's channel 2 and its gate; only this
    // module uses them, under the PIT lock. Bit 0 of 0x61 opens the gate, bit 1 (the speaker)
    // stays off.
    unsafe {
        let control = cpu::inb(SPEAKER_CONTROL);
        cpu::outb(SPEAKER_CONTROL, (control & !0b10) | 0b1);
        cpu::outb(COMMAND, CHANNEL2_ONE_SHOT);
        cpu::outb(CHANNEL2_DATA, count as u8);
        cpu::outb(CHANNEL2_DATA, (count >> 8) as u8);
    }
    // Bounded, in case there is no PIT: the wait is then shorter, never endless.
    for _ in 0..10_000_000u32 {
        // SAFETY: reading port 0x61 only samples the gate and output bits.
        if unsafe { cpu::inb(SPEAKER_CONTROL) } & 0x20 != 0 {
            return;
        }
        core::hint::spin_loop();
    }
}
