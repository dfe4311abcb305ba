//! Generates `yunxiao_appstack.h` into `OUT_DIR` with cbindgen, and names the shared library.
//!
//! The generated header is never written into the source tree by a build: `tests/header.rs`
//! compares it with the committed `include/yunxiao_appstack.h` and fails when they differ
//! (`YX_BLESS_HEADER=1` rewrites the committed copy; see `bindings-c/scripts/update-header.sh`).

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by Cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    let version = Version::from_env();
    set_soname(&version);

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("bindings-c/cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        // Parsing from lib.rs (following `mod` items) needs no `cargo metadata` run.
        .with_src(crate_dir.join("src").join("lib.rs"))
        .with_after_include(format!("{}\n{}", version.macros(), operations(&crate_dir)))
        .generate()
        .expect("cbindgen generates the header");
    bindings.write_to_file(out_dir.join("yunxiao_appstack.h"));
}

/// The YX_OP_* and YX_EVENT_* names, generated from core/catalog.json by
/// bindings-c/scripts/generate.py (committed, and checked for drift by scripts/test.sh).
fn operations(crate_dir: &std::path::Path) -> String {
    let path = crate_dir.join("src").join("generated").join("operations.h");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run bindings-c/scripts/generate.py)",
            path.display()
        )
    })
}

/// The package version, which is the workspace version: the one version source.
struct Version {
    major: u32,
    minor: u32,
    patch: u32,
    text: String,
}

impl Version {
    fn from_env() -> Self {
        let part = |name: &str| -> u32 {
            let value = env::var(name).expect("set by Cargo");
            let number: u32 = value.parse().expect("a numeric version part");
            // YX_VERSION_NUM packs each part into 8 bits, as LIBCURL_VERSION_NUM does.
            assert!(
                number <= 0xff,
                "{name}={number} does not fit YX_VERSION_NUM's 8 bits"
            );
            number
        };
        Self {
            major: part("CARGO_PKG_VERSION_MAJOR"),
            minor: part("CARGO_PKG_VERSION_MINOR"),
            patch: part("CARGO_PKG_VERSION_PATCH"),
            text: env::var("CARGO_PKG_VERSION").expect("set by Cargo"),
        }
    }

    fn packed(&self) -> u32 {
        (self.major << 16) | (self.minor << 8) | self.patch
    }

    /// The version macros, placed right after the `#include` lines.
    fn macros(&self) -> String {
        let Version {
            major,
            minor,
            patch,
            text,
        } = self;
        let packed = self.packed();
        format!(
            r#"
/**
 * The version of this header, as text: "MAJOR.MINOR.PATCH" (with a "-pre" suffix on
 * pre-releases). Compare with yx_version(), the version of the library linked at run time.
 */
#define YX_VERSION "{text}"

/** The major version of this header. */
#define YX_VERSION_MAJOR {major}

/** The minor version of this header. */
#define YX_VERSION_MINOR {minor}

/** The patch version of this header. */
#define YX_VERSION_PATCH {patch}

/**
 * The version of this header packed as 0xXXYYZZ (major, minor, patch; 8 bits each), like
 * LIBCURL_VERSION_NUM: version checks become integer comparisons. yx_version_number()
 * returns the same packing for the library linked at run time.
 */
#define YX_VERSION_NUM 0x{packed:06x}

/**
 * Whether this header is at least version X.Y.Z, for conditional compilation:
 * `#if YX_VERSION_AT_LEAST(0, 2, 0)`.
 */
#define YX_VERSION_AT_LEAST(x, y, z) \
  (YX_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))
"#
        )
    }
}

/// Gives the shared library an ELF SONAME, so that programs record the ABI they were linked
/// against: `libyunxiao_appstack.so.MAJOR`, or `.so.0.MINOR` while the major version is 0
/// (where Cargo's semver makes every minor release a breaking one), as cargo-c does.
fn set_soname(version: &Version) {
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(
        target_os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        return;
    }
    let abi = if version.major == 0 {
        format!("0.{}", version.minor)
    } else {
        version.major.to_string()
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libyunxiao_appstack.so.{abi}");
}
