//! Where the file layer keeps things on its disk, and how its metadata
//! sectors are encoded.
//!
//! Sector 0 is the superblock. Then one directory sector per slot (the name
//! of the file in the slot, or none). Then one region per slot: its inode
//! sector (the size of the slot's file), then `slot_sectors` sectors of
//! data, so that one synced range covers a file's data and size. A file's
//! bytes at offset `o` live in sector `data_start(slot) + o / sector_size`. Each metadata sector is one record
//! with a magic, its slot, and an xxh3 checksum seeded with the sector's
//! number, so that a rotten or misdirected record is detected, never
//! believed. A sector of zeros is a slot never used.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Longest file name, in bytes.
pub const MAX_NAME: usize = 255;

const SUPER_MAGIC: &[u8; 8] = b"lcfiles1";
const ENTRY_MAGIC: &[u8; 4] = b"DENT";
const INODE_MAGIC: &[u8; 4] = b"INOD";

/// The shape of a formatted disk: sector size, slots and sectors per slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub ss: usize,
    pub slots: u32,
    pub slot_sectors: u64,
}

impl Layout {
    pub fn dir_first(&self) -> u64 {
        1
    }

    pub fn dir_sector(&self, slot: u32) -> u64 {
        1 + u64::from(slot)
    }

    /// The first sector of a slot's region: its inode, then its data.
    fn region(&self, slot: u32) -> u64 {
        1 + u64::from(self.slots) + u64::from(slot) * (1 + self.slot_sectors)
    }

    pub fn inode_sector(&self, slot: u32) -> u64 {
        self.region(slot)
    }

    pub fn data_start(&self, slot: u32) -> u64 {
        self.region(slot) + 1
    }

    /// Sectors the layout needs on the disk.
    pub fn sectors(&self) -> u64 {
        self.region(self.slots)
    }

    /// Largest file, in bytes.
    pub fn max_size(&self) -> u64 {
        self.slot_sectors * self.ss as u64
    }
}

/// A directory record: a slot's file name and generation. `used` is false
/// once the file is deleted; the generation stays so that it never repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub used: bool,
    pub gen: u64,
    pub name: String,
}

/// An inode record: the size of the slot's file of generation `gen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inode {
    pub gen: u64,
    pub size: u64,
}

fn seal(mut body: Vec<u8>, sector: u64) -> Vec<u8> {
    let sum = xxh3_64_with_seed(&body, sector);
    body.extend_from_slice(&sum.to_le_bytes());
    body
}

/// The body of a sealed record of `len` bytes, if its checksum holds.
fn unseal(bytes: &[u8], len: usize, sector: u64) -> Option<&[u8]> {
    let (body, sum) = bytes.get(..len + 8)?.split_at(len);
    let sum = u64::from_le_bytes(sum.try_into().ok()?);
    (xxh3_64_with_seed(body, sector) == sum).then_some(body)
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

pub(crate) fn encode_super(l: &Layout) -> Vec<u8> {
    let mut b = SUPER_MAGIC.to_vec();
    b.extend_from_slice(&(l.ss as u64).to_le_bytes());
    b.extend_from_slice(&l.slots.to_le_bytes());
    b.extend_from_slice(&l.slot_sectors.to_le_bytes());
    seal(b, 0)
}

/// The layout a superblock records: `Ok(None)` for a blank sector.
pub(crate) fn decode_super(bytes: &[u8]) -> Result<Option<Layout>, &'static str> {
    if is_blank(bytes) {
        return Ok(None);
    }
    let body = unseal(bytes, 28, 0).ok_or("superblock checksum mismatch")?;
    if &body[..8] != SUPER_MAGIC {
        return Err("not a lastcopy file system");
    }
    Ok(Some(Layout {
        ss: u64_at(body, 8) as usize,
        slots: u32_at(body, 16),
        slot_sectors: u64_at(body, 20),
    }))
}

pub(crate) fn encode_entry(l: &Layout, slot: u32, e: &Entry) -> Vec<u8> {
    let mut b = ENTRY_MAGIC.to_vec();
    b.extend_from_slice(&slot.to_le_bytes());
    b.push(u8::from(e.used));
    b.extend_from_slice(&e.gen.to_le_bytes());
    b.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
    b.extend_from_slice(e.name.as_bytes());
    seal(b, l.dir_sector(slot))
}

/// A slot's directory record: `Ok(None)` for a slot never used.
pub(crate) fn decode_entry(
    l: &Layout,
    slot: u32,
    bytes: &[u8],
) -> Result<Option<Entry>, &'static str> {
    if is_blank(bytes) {
        return Ok(None);
    }
    const HEAD: usize = 19;
    let bad = "directory record checksum mismatch";
    let name_len = bytes
        .get(17..19)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .filter(|&n| n <= MAX_NAME)
        .ok_or(bad)?;
    let body = unseal(bytes, HEAD + name_len, l.dir_sector(slot)).ok_or(bad)?;
    if &body[..4] != ENTRY_MAGIC || u32_at(body, 4) != slot || body[8] > 1 {
        return Err("directory record of another slot");
    }
    let name = String::from_utf8(body[HEAD..].to_vec()).map_err(|_| "file name is not UTF-8")?;
    Ok(Some(Entry {
        used: body[8] == 1,
        gen: u64_at(body, 9),
        name,
    }))
}

pub(crate) fn encode_inode(l: &Layout, slot: u32, i: Inode) -> Vec<u8> {
    let mut b = INODE_MAGIC.to_vec();
    b.extend_from_slice(&slot.to_le_bytes());
    b.extend_from_slice(&i.gen.to_le_bytes());
    b.extend_from_slice(&i.size.to_le_bytes());
    seal(b, l.inode_sector(slot))
}

/// A slot's inode record: `Ok(None)` for a slot never used.
pub(crate) fn decode_inode(
    l: &Layout,
    slot: u32,
    bytes: &[u8],
) -> Result<Option<Inode>, &'static str> {
    if is_blank(bytes) {
        return Ok(None);
    }
    let body = unseal(bytes, 24, l.inode_sector(slot)).ok_or("inode checksum mismatch")?;
    if &body[..4] != INODE_MAGIC || u32_at(body, 4) != slot {
        return Err("inode of another slot");
    }
    let size = u64_at(body, 16);
    if size > l.max_size() {
        return Err("inode size past the slot's end");
    }
    Ok(Some(Inode {
        gen: u64_at(body, 8),
        size,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Layout = Layout {
        ss: 512,
        slots: 4,
        slot_sectors: 8,
    };

    #[test]
    fn records_round_trip_and_detect_damage() {
        assert_eq!(decode_super(&encode_super(&L)), Ok(Some(L)));
        assert_eq!(decode_super(&[0; 512]), Ok(None));
        let e = Entry {
            used: true,
            gen: 7,
            name: "main.db-journal".into(),
        };
        let mut bytes = encode_entry(&L, 2, &e);
        assert_eq!(decode_entry(&L, 2, &bytes), Ok(Some(e)));
        // Read back from another slot's sector (a misdirected write): refused.
        assert!(decode_entry(&L, 1, &bytes).is_err());
        bytes[20] ^= 4;
        assert!(decode_entry(&L, 2, &bytes).is_err());
        let i = Inode { gen: 3, size: 4096 };
        let mut bytes = encode_inode(&L, 0, i);
        assert_eq!(decode_inode(&L, 0, &bytes), Ok(Some(i)));
        bytes[10] ^= 1;
        assert!(decode_inode(&L, 0, &bytes).is_err());
        let too_big = Inode {
            gen: 1,
            size: 8 * 512 + 1,
        };
        assert!(decode_inode(&L, 0, &encode_inode(&L, 0, too_big)).is_err());
        assert_eq!(L.sectors(), 1 + 4 + 4 * 9);
        assert_eq!(L.inode_sector(1), 1 + 4 + 9);
        assert_eq!(L.data_start(1), 1 + 4 + 9 + 1);
    }
}
