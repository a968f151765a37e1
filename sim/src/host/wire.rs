//! Frames and addresses: how a message becomes bytes on the simulated
//! network (encoded, optionally sealed with a checksum) and how a node's
//! address maps to a socket.

use super::*;

/// Encodes a message as the engine sends it over the simulated network.
pub fn encode<M: Serialize>(msg: &M) -> Vec<u8> {
    postcard::to_allocvec(msg).expect("messages always encode")
}

/// Decodes a message the engine received; `None` if the bytes were garbled
/// (the message is then dropped, as a checksum would drop it).
pub fn decode<M: DeserializeOwned>(bytes: &[u8]) -> Option<M> {
    postcard::from_bytes(bytes).ok()
}

/// Seals an encoded frame with an end-to-end checksum (8 bytes appended).
pub fn seal(mut frame: Vec<u8>) -> Vec<u8> {
    let sum = xxhash_rust::xxh3::xxh3_64(&frame);
    frame.extend_from_slice(&sum.to_le_bytes());
    frame
}

/// The payload of a sealed frame, or `None` if its checksum fails (the
/// frame was garbled in transit).
pub fn unseal(frame: &[u8]) -> Option<&[u8]> {
    let split = frame.len().checked_sub(8)?;
    let (payload, sum) = frame.split_at(split);
    let sum = u64::from_le_bytes(sum.try_into().ok()?);
    (xxhash_rust::xxh3::xxh3_64(payload) == sum).then_some(payload)
}

/// The address of a node in a cluster: its index, stable for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u32);

impl Addr {
    pub(super) fn socket(self) -> SocketAddr {
        let i = self.0 + 1;
        let ip = Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8);
        SocketAddr::new(IpAddr::V4(ip), PORT)
    }

    pub(super) fn from_socket(s: SocketAddr) -> Option<Addr> {
        match s.ip() {
            IpAddr::V4(ip) => {
                let [_, a, b, c] = ip.octets();
                let i = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
                i.checked_sub(1).map(Addr)
            }
            IpAddr::V6(_) => None,
        }
    }
}
