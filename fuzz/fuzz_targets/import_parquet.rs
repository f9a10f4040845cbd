#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    // A panic of the `parquet` crate's own decoders (on corrupt pages) is contained by the
    // importer and reported as an error; any other panic still aborts the run (libFuzzer's hook).
    let libfuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !srmatrix_import::parquet::in_upstream_reader() {
            libfuzzer_hook(info);
        }
    }));
}, |data: &[u8]| {
    srmatrix_fuzz::checks::import_parquet(data);
});
