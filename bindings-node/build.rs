//! Link settings for a Node-API addon: napi-build lets the `cdylib` leave the `napi_*` symbols
//! undefined, to be resolved from the `node` process that loads it.

fn main() {
    napi_build::setup();
}
