//! Fuzzes the health connect json reader and everything after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobile_core::wearables::Format;

fuzz_target!(|data: &[u8]| mobile_core_fuzz::run(Format::HealthConnectJson, data));
