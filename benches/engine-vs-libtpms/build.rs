fn main() {
    // Debian's libtpms-dev installs libtpms.so in the default library path.
    println!("cargo:rustc-link-lib=dylib=tpms");
}
