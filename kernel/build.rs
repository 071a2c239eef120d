//! Links the kernel without a C runtime, as one static image at 1 MiB.
//!
//! The crate is compiled for the host target (`x86_64-unknown-linux-gnu`), which is what this
//! toolchain has; what makes the result a kernel is how it is linked: no crt files, no libc,
//! static, not position independent, and laid out by `link.ld` as a single load segment at
//! the 1 MiB physical address that both Multiboot and PVH loaders copy it to.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    // 4 KiB alignment keeps the file small (the default 2 MiB would pad the segment's offset);
    // no build-id note, so the only note is the PVH entry point.
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/link.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,-z,max-page-size=0x1000");
    println!("cargo:rustc-link-arg-bins=-Wl,--build-id=none");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link.ld");
}
