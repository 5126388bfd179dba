//! Argon2id verifications per second on one core with Vhod's parameters and its
//! verification routine (memory reused between verifications, as on the server's
//! verifier threads): the `H` of DESIGN.md §5. Run pinned:
//! `taskset -c 0 cargo bench --bench argon2`.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use vhod::credentials::{hash_password, verify_password_with_memory};

fn main() {
    let password = SecretString::from("correct horse battery staple");
    let phc = hash_password(&password).expect("hash");
    let mut memory = Vec::new();
    // Warm up, then count for a fixed time.
    for _ in 0..3 {
        assert!(verify_password_with_memory(&password, &phc, &mut memory));
    }
    let started = Instant::now();
    let mut count = 0u32;
    while started.elapsed() < Duration::from_secs(5) {
        assert!(verify_password_with_memory(&password, &phc, &mut memory));
        count += 1;
    }
    let rate = f64::from(count) / started.elapsed().as_secs_f64();
    println!("ARGON2ID_VERIFY_PER_SEC {rate:.1}");
}
