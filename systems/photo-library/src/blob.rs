//! A photo's bytes: a synthetic blob of 4 to 64 KiB, content-addressed by
//! the hash of its bytes.
//!
//! The bytes are a pattern drawn from a seed so that a run stays cheap to
//! describe, but they are really written to and read back from the
//! simulated disks: a storage fault that flips or loses them is seen when
//! the bytes are hashed again ([`intact`]).

use xxhash_rust::xxh3::xxh3_64;

/// The smallest blob, in bytes.
pub const MIN_LEN: u32 = 4 * 1024;
/// The largest blob, in bytes.
pub const MAX_LEN: u32 = 64 * 1024;

/// The bytes of the blob drawn from `seed`, `len` long.
pub fn bytes(seed: u64, len: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(len as usize);
    let mut x = seed | 1;
    while out.len() < len as usize {
        // xorshift64*: cheap, deterministic, never zero.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len as usize);
    out
}

/// The blob's address in the object store: the hash of its bytes.
pub fn id_of(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// Whether `bytes` are exactly the blob `id` names.
pub fn intact(id: u64, bytes: &[u8]) -> bool {
    id_of(bytes) == id
}

/// `b3fa2c1d`: a blob's short name in traces.
pub fn name(id: u64) -> String {
    format!("b{:08x}", id >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_its_own_address_and_one_flipped_bit_is_seen() {
        let b = bytes(7, 5000);
        assert_eq!(b.len(), 5000);
        assert_eq!(b, bytes(7, 5000));
        let id = id_of(&b);
        assert!(intact(id, &b));
        let mut rotten = b.clone();
        rotten[123] ^= 4;
        assert!(!intact(id, &rotten));
    }
}
