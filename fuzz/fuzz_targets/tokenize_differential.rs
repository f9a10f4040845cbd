#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    srmatrix_fuzz::checks::tokenize_differential(data);
});
