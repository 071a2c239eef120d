//! Instruction-count benches of `mempolicy` (callgrind through `gungraun`); the benches are in
//! `benches/instructions.rs`, the baseline check in `../check.py`.
#![no_std]
