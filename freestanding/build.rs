//! Links the binary without a C runtime: no crt files, no libc, static, not position
//! independent. `_start`, the syscalls and the `mem*` functions live in `src/rt.rs`.
fn main() {
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
