//! Everything x86-64 specific: the boot path, single instructions, the GDT and IDT, the local
//! APIC, the legacy PICs (switched off) and the PIT. The rest of the kernel calls these through safe functions.

pub mod apic;
pub mod boot;
pub mod cpu;
pub mod gdt;
pub mod idt;
pub mod pic;
pub mod pit;
