//! A crash-faithful file layer: named files with sizes, in one flat
//! directory, on a node's simulated [`Disk`](crate::disk::Disk).
//!
//! Everything lives in the disk's sectors (file data, sizes, the directory;
//! see `layout.rs`), so the disk's storage faults reach file contents and
//! metadata, a crash of the disk is a crash of the file system, and a node
//! that boots mounts its files back from its disk. Memory is proportional to
//! the bytes written. Nothing here reads a clock or OS randomness: every
//! random outcome is the disk's, drawn from the seed of its crash.
//!
//! # Model
//!
//! Without a crash, a file reads back exactly what was written to it, with
//! zeros in any gap a write or truncation opened, and nothing past its size.
//! Durability, under power loss ([`Disk::crash`](crate::disk::Disk::crash) of the disk, then
//! [`Files::mount`]):
//!
//! - **A file's data and size become durable at that file's sync**
//!   ([`Files::sync`]). A sync of one file makes no other file's data or
//!   size durable.
//! - **A file's creation and deletion become durable at a sync of the
//!   directory** ([`Files::sync_dir`]), not at a sync of the file.
//! - **A crash drops each unsynced change independently**: each unsynced
//!   write of data, each unsynced size change, each unsynced creation and
//!   deletion is kept or lost on its own, as the disk keeps or loses the
//!   sector writes that carry it (with
//!   [`CrashMode::Tear`](crate::disk::CrashMode::Tear) a multi-sector
//!   data write may keep a prefix of its sectors; a sector is never half
//!   written). So after a crash a file's size is its synced size or one it
//!   had since; each byte below it is its synced value, a value written at
//!   that offset since, or, where the file grew without a sync, whatever its
//!   region of the disk held before: zeros or bytes an earlier file there
//!   wrote at that offset. That last case is why the layer never promises
//!   that appends are safe (`SQLITE_IOCAP_SAFE_APPEND`): the size can
//!   become durable before the data.
//! - A file whose creation survived a crash but whose size never became
//!   durable is empty. If an unsynced deletion and a later creation of the
//!   same name both survive, the later file wins (a creation implies the
//!   deletions of its name before it); [`Files::mount`] writes those
//!   deletions out and makes them durable.
//! - Synced data and sizes of a file whose creation is durable, and that was
//!   not changed since its sync, survive any crash exactly; a synced
//!   directory keeps exactly the files it listed unless a later unsynced
//!   change names them; nothing read after a crash is a value no write put
//!   at that offset of some file.
//!
//! The space of a deleted file is not reused until its deletion is durable,
//! so a deleted file that comes back after a crash comes back whole. A
//! deletion whose file's creation is durable becomes durable at the next
//! [`Files::sync_dir`]; until then its slot is taken. A file created and
//! deleted since the last directory sync takes no slot: [`Files::create`]
//! prefers other free slots and, when none is left, makes that deletion
//! durable first (a sync of that one directory record), as a file system
//! orders a freed inode's reuse after its release.
//!
//! Faults: every I/O error of the disk is returned as
//! [`FilesError::Disk`], nothing panics on the I/O paths, and a failed
//! operation changes nothing the layer believes. After a failed sync (the
//! disk dropped the unsynced writes it covered) the layer reloads what it
//! covered from the disk. Metadata that fails its checksum (bit rot, a
//! misdirected write) makes [`Files::mount`] fail with
//! [`FilesError::Corrupt`], never a wrong file.

mod layout;

pub use layout::MAX_NAME;

use crate::disk::{DiskConfig, DiskError};
use crate::host::{lock_disk, DiskHandle};
use layout::{Entry, Inode, Layout};
use std::collections::BTreeMap;
use std::ops::Range;

/// How a disk is divided into files: a fixed number of slots (the most
/// files that can exist at once), each a contiguous run of sectors (the
/// largest file). Sectors cost memory only once written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilesConfig {
    /// How many files can exist at once (a deleted file whose creation was
    /// durable counts until its deletion is durable). Default 16.
    pub slots: u32,
    /// Sectors per file: the largest file is `slot_sectors * sector_size`
    /// bytes. Default 16384 (64 MiB at 4 KiB sectors).
    pub slot_sectors: u64,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            slots: 16,
            slot_sectors: 16384,
        }
    }
}

impl FilesConfig {
    /// Checks that the layout fits on a disk of shape `disk`, with at least
    /// one slot of at least one sector. Returns what is wrong otherwise.
    pub fn validate(&self, disk: &DiskConfig) -> Result<(), String> {
        if self.slots == 0 || self.slot_sectors == 0 {
            return Err("files need at least one slot of at least one sector".into());
        }
        let need = self.layout(disk.sector_size).sectors();
        if need > disk.sectors {
            return Err(format!(
                "{} slots of {} sectors need {need} sectors; the disk has {}",
                self.slots, self.slot_sectors, disk.sectors
            ));
        }
        Ok(())
    }

    fn layout(&self, ss: usize) -> Layout {
        Layout {
            ss,
            slots: self.slots,
            slot_sectors: self.slot_sectors,
        }
    }
}

/// Why a file operation failed. A failed operation changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilesError {
    /// The disk refused the I/O.
    #[error("disk: {0}")]
    Disk(#[from] DiskError),
    /// No file has that name.
    #[error("no file named {0:?}")]
    NotFound(String),
    /// The file a [`FileId`] named was deleted (or its creation was undone
    /// by a failed directory sync).
    #[error("the file was deleted")]
    Stale,
    /// A file of that name exists already.
    #[error("a file named {0:?} exists")]
    Exists(String),
    /// Every slot holds a file, or a deletion not yet durable of a file
    /// whose creation was.
    #[error("the directory is full")]
    DirectoryFull,
    /// The name is empty, longer than [`MAX_NAME`] bytes or holds a NUL.
    #[error("invalid file name {0:?}")]
    InvalidName(String),
    /// The file would grow past its slot.
    #[error("file size {size} past the largest file, {max} bytes")]
    TooLarge {
        /// The size the operation asked for.
        size: u64,
        /// The largest file.
        max: u64,
    },
    /// Metadata on the disk failed its check: the file system cannot be
    /// trusted.
    #[error("metadata sector {sector} is corrupt: {what}")]
    Corrupt {
        /// The sector.
        sector: u64,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The configuration does not fit the disk, or differs from the one the
    /// disk was formatted with.
    #[error("file system layout: {0}")]
    Layout(String),
}

/// A handle on one file: valid until that file is deleted. Copy it freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileId {
    slot: u32,
    gen: u64,
}

#[derive(Clone, Debug)]
struct Live {
    name: String,
    gen: u64,
    size: u64,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    file: Option<Live>,
    /// The slot holds a file in the durable directory (as far as the layer
    /// knows): it may not be reused until a directory sync says otherwise.
    durable_used: bool,
    /// The slot's directory record was written since the last directory
    /// sync (a file created, or created and deleted, there since): a crash
    /// may bring back any of those records, so the slot's inode must not
    /// be rewritten for another file until that record is durable.
    dirty: bool,
}

/// The files on one disk. See the [module documentation](self) for what
/// survives a crash.
#[derive(Debug)]
pub struct Files {
    disk: DiskHandle,
    layout: Layout,
    slots: Vec<Slot>,
    names: BTreeMap<String, u32>,
    /// The generation the next file gets: above every generation on the
    /// disk, in any slot, so that of two records of one name the later
    /// file has the higher generation.
    next_gen: u64,
}

impl Files {
    /// Mounts the file system on `disk`, formatting it (durably) if the disk
    /// is blank. The directory is made durable as found: after a crash or a
    /// clean shutdown there is nothing to sync. Fails with
    /// [`FilesError::Layout`] if `config` does not fit the disk or differs
    /// from the disk's format, [`FilesError::Corrupt`] if metadata fails its
    /// check, [`FilesError::Disk`] if the disk refuses the I/O.
    pub fn mount(disk: DiskHandle, config: FilesConfig) -> Result<Files, FilesError> {
        let layout = {
            let mut d = lock_disk(&disk);
            config.validate(d.config()).map_err(FilesError::Layout)?;
            let layout = config.layout(d.config().sector_size);
            let head = d.read(0, 1)?;
            match layout::decode_super(&head) {
                Ok(None) => {
                    d.write(0, &layout::encode_super(&layout))?;
                    d.sync_range(0, 1)?;
                }
                Ok(Some(found)) if found == layout => {}
                Ok(Some(found)) => {
                    return Err(FilesError::Layout(format!(
                        "the disk holds {} slots of {} sectors at {} bytes, not {} of {} at {}",
                        found.slots,
                        found.slot_sectors,
                        found.ss,
                        layout.slots,
                        layout.slot_sectors,
                        layout.ss
                    )))
                }
                Err(what) => return Err(FilesError::Corrupt { sector: 0, what }),
            }
            d.sync_range(layout.dir_first(), u64::from(layout.slots))?;
            layout
        };
        let mut files = Files {
            disk,
            layout,
            slots: vec![Slot::default(); layout.slots as usize],
            names: BTreeMap::new(),
            next_gen: 1,
        };
        files.reload_dir()?;
        Ok(files)
    }

    /// Formats `disk` anew and mounts it: every file is gone, durably,
    /// whatever its metadata held (what one does with a file system that no
    /// longer mounts). Fails as [`Files::mount`] does on a layout that does
    /// not fit, or if the disk refuses the I/O.
    pub fn format(disk: DiskHandle, config: FilesConfig) -> Result<Files, FilesError> {
        {
            let mut d = lock_disk(&disk);
            config.validate(d.config()).map_err(FilesError::Layout)?;
            let layout = config.layout(d.config().sector_size);
            let zero = vec![0u8; layout.ss];
            let mut meta: Vec<u64> = (0..=u64::from(layout.slots)).collect();
            meta.extend((0..layout.slots).map(|s| layout.inode_sector(s)));
            for &sector in &meta {
                d.write(sector, &zero)?;
            }
            for &sector in &meta {
                d.sync_range(sector, 1)?;
            }
        }
        Files::mount(disk, config)
    }

    /// The disk the files live on.
    pub fn disk(&self) -> &DiskHandle {
        &self.disk
    }

    /// The disk's sector size in bytes: the unit a write is atomic in.
    pub fn sector_size(&self) -> usize {
        self.layout.ss
    }

    /// The largest file, in bytes.
    pub fn max_size(&self) -> u64 {
        self.layout.max_size()
    }

    /// Every file's name, in order.
    pub fn names(&self) -> Vec<String> {
        self.names.keys().cloned().collect()
    }

    /// Whether a file named `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The file named `name`, or [`FilesError::NotFound`].
    pub fn open(&self, name: &str) -> Result<FileId, FilesError> {
        let &slot = self
            .names
            .get(name)
            .ok_or_else(|| FilesError::NotFound(name.to_string()))?;
        let gen = self.slots[slot as usize]
            .file
            .as_ref()
            .expect("named slots hold files")
            .gen;
        Ok(FileId { slot, gen })
    }

    /// Creates an empty file named `name` (durable at the next
    /// [`Files::sync_dir`]) and returns it. Fails with
    /// [`FilesError::Exists`], [`FilesError::InvalidName`],
    /// [`FilesError::DirectoryFull`] or a disk error, creating nothing.
    pub fn create(&mut self, name: &str) -> Result<FileId, FilesError> {
        if name.is_empty() || name.len() > MAX_NAME || name.contains('\0') {
            return Err(FilesError::InvalidName(name.to_string()));
        }
        if self.names.contains_key(name) {
            return Err(FilesError::Exists(name.to_string()));
        }
        let slot = self.free_slot()?;
        let gen = self.next_gen;
        let entry = Entry {
            used: true,
            gen,
            name: name.to_string(),
        };
        {
            let mut d = lock_disk(&self.disk);
            d.write(
                self.layout.dir_sector(slot),
                &layout::encode_entry(&self.layout, slot, &entry),
            )?;
            let inode = Inode { gen, size: 0 };
            // The entry is written: the file exists from now on, even if its
            // size record fails to reach the disk (it then reads as empty).
            let _ = d.write(
                self.layout.inode_sector(slot),
                &layout::encode_inode(&self.layout, slot, inode),
            );
        }
        self.next_gen = gen + 1;
        let s = &mut self.slots[slot as usize];
        s.dirty = true;
        s.file = Some(Live {
            name: name.to_string(),
            gen,
            size: 0,
        });
        self.names.insert(name.to_string(), slot);
        Ok(FileId { slot, gen })
    }

    /// Deletes the file named `name` (durable at the next
    /// [`Files::sync_dir`]); its [`FileId`]s go stale. Fails with
    /// [`FilesError::NotFound`] or a disk error, deleting nothing.
    pub fn delete(&mut self, name: &str) -> Result<(), FilesError> {
        let id = self.open(name)?;
        let entry = Entry {
            used: false,
            gen: id.gen,
            name: name.to_string(),
        };
        lock_disk(&self.disk).write(
            self.layout.dir_sector(id.slot),
            &layout::encode_entry(&self.layout, id.slot, &entry),
        )?;
        let s = &mut self.slots[id.slot as usize];
        s.file = None;
        s.dirty = true;
        self.names.remove(name);
        Ok(())
    }

    /// Makes every creation and deletion so far durable. On a failed sync
    /// the disk dropped the unsynced directory changes, and the layer
    /// reloads the directory from the disk (files whose creation was
    /// dropped are gone, deleted ones are back).
    pub fn sync_dir(&mut self) -> Result<(), FilesError> {
        let r =
            lock_disk(&self.disk).sync_range(self.layout.dir_first(), u64::from(self.layout.slots));
        match r {
            Ok(()) => {
                for s in &mut self.slots {
                    s.durable_used = s.file.is_some();
                    s.dirty = false;
                }
                Ok(())
            }
            Err(e) => {
                if e == DiskError::SyncFailed {
                    self.reload_dir()?;
                }
                Err(e.into())
            }
        }
    }

    /// The file's size in bytes.
    pub fn size(&self, id: FileId) -> Result<u64, FilesError> {
        Ok(self.live(id)?.size)
    }

    /// Reads from `offset` into `buf` and returns how many bytes were read:
    /// fewer than `buf.len()` only at the end of the file (0 at or past it).
    /// The bytes of `buf` past that are left as they were.
    pub fn read(&self, id: FileId, offset: u64, buf: &mut [u8]) -> Result<usize, FilesError> {
        let size = self.live(id)?.size;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(size - offset) as usize;
        let ss = self.layout.ss as u64;
        let first = offset / ss;
        let last = (offset + n as u64).div_ceil(ss);
        let bytes =
            lock_disk(&self.disk).read(self.layout.data_start(id.slot) + first, last - first)?;
        let start = (offset - first * ss) as usize;
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    /// Writes `data` at `offset`, growing the file if it ends past the end
    /// (a gap before `offset` reads as zeros). Visible at once; durable at
    /// the next [`Files::sync`] of this file. One disk write carries the
    /// data (and the zeros of a gap); a size change is a second one. Fails
    /// with [`FilesError::TooLarge`] or a disk error, writing nothing.
    pub fn write(&mut self, id: FileId, offset: u64, data: &[u8]) -> Result<(), FilesError> {
        let size = self.live(id)?.size;
        if data.is_empty() {
            return Ok(());
        }
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&e| e <= self.max_size())
            .ok_or(FilesError::TooLarge {
                size: offset.saturating_add(data.len() as u64),
                max: self.max_size(),
            })?;
        let ss = self.layout.ss as u64;
        let lo = offset.min(size);
        let fs = lo / ss;
        let ls = end.div_ceil(ss);
        let base = fs * ss;
        // Bytes past `keep_end` in the last sector are zeros: past the file.
        let keep_end = end.max(size.min(ls * ss));
        let mut buf = vec![0u8; (keep_end - base) as usize];
        let start = self.layout.data_start(id.slot);
        {
            let d = lock_disk(&self.disk);
            if lo > base {
                let head = d.read(start + fs, 1)?;
                buf[..(lo - base) as usize].copy_from_slice(&head[..(lo - base) as usize]);
            }
            if keep_end > end {
                let tail = d.read(start + ls - 1, 1)?;
                let from = (end - (ls - 1) * ss) as usize;
                let to = (keep_end - (ls - 1) * ss) as usize;
                buf[(end - base) as usize..].copy_from_slice(&tail[from..to]);
            }
        }
        let at = (offset - base) as usize;
        buf[at..at + data.len()].copy_from_slice(data);
        lock_disk(&self.disk).write(start + fs, &buf)?;
        if end > size {
            self.set_size(id, end)?;
        }
        Ok(())
    }

    /// Sets the file's size: bytes past a smaller size are gone, and a
    /// larger size reads as zeros past the old end. Durable at the next
    /// [`Files::sync`] of this file. Fails with [`FilesError::TooLarge`] or
    /// a disk error.
    pub fn truncate(&mut self, id: FileId, size: u64) -> Result<(), FilesError> {
        let old = self.live(id)?.size;
        if size > self.max_size() {
            return Err(FilesError::TooLarge {
                size,
                max: self.max_size(),
            });
        }
        let ss = self.layout.ss as u64;
        let start = self.layout.data_start(id.slot);
        if size < old && !size.is_multiple_of(ss) {
            // Zero the rest of the new last sector, so that a later growth
            // reads zeros there.
            let mut d = lock_disk(&self.disk);
            let sector = d.read(start + size / ss, 1)?;
            d.write(start + size / ss, &sector[..(size % ss) as usize])?;
        } else if size > old {
            let fs = old / ss;
            let mut buf = vec![0u8; (size - fs * ss) as usize];
            let mut d = lock_disk(&self.disk);
            let keep = (old - fs * ss) as usize;
            if keep > 0 {
                let head = d.read(start + fs, 1)?;
                buf[..keep].copy_from_slice(&head[..keep]);
            }
            d.write(start + fs, &buf)?;
        }
        if size != old {
            self.set_size(id, size)?;
        }
        Ok(())
    }

    /// Makes the file's data and size durable (not its creation: see
    /// [`Files::sync_dir`]), in one synced range of the disk. On a failed
    /// sync the disk dropped the file's unsynced writes, data and size, and
    /// the layer reloads its size from the disk.
    pub fn sync(&mut self, id: FileId) -> Result<(), FilesError> {
        self.live(id)?;
        let r = lock_disk(&self.disk).sync_range(
            self.layout.inode_sector(id.slot),
            1 + self.layout.slot_sectors,
        );
        if r == Err(DiskError::SyncFailed) {
            self.reload_inode(id.slot)?;
        }
        Ok(r?)
    }

    /// The disk sectors that hold the file's bytes (the first
    /// `size.div_ceil(sector_size)` sectors of its slot), for aiming
    /// storage faults at them.
    pub fn data_sectors(&self, id: FileId) -> Result<Range<u64>, FilesError> {
        let size = self.live(id)?.size;
        let start = self.layout.data_start(id.slot);
        Ok(start..start + size.div_ceil(self.layout.ss as u64))
    }

    /// A slot for a new file: one holding no file, whose directory record
    /// says so durably. A slot whose record changed since the last
    /// directory sync (a file created and deleted there since) is taken
    /// only when no other is free, and only once that deletion is made
    /// durable by a sync of its record alone: otherwise a crash could bring
    /// the deleted file's record back over the new file's inode. Fails
    /// with [`FilesError::DirectoryFull`], or the disk's error if that sync
    /// fails (the disk then dropped the record's unsynced writes, which
    /// leaves the slot free as well).
    fn free_slot(&mut self) -> Result<u32, FilesError> {
        let free = |s: &Slot| s.file.is_none() && !s.durable_used;
        if let Some(i) = self.slots.iter().position(|s| free(s) && !s.dirty) {
            return Ok(i as u32);
        }
        let i = self
            .slots
            .iter()
            .position(free)
            .ok_or(FilesError::DirectoryFull)?;
        let slot = i as u32;
        let r = lock_disk(&self.disk).sync_range(self.layout.dir_sector(slot), 1);
        if matches!(r, Ok(()) | Err(DiskError::SyncFailed)) {
            self.slots[i].dirty = false;
        }
        r?;
        Ok(slot)
    }

    fn live(&self, id: FileId) -> Result<&Live, FilesError> {
        self.slots
            .get(id.slot as usize)
            .and_then(|s| s.file.as_ref())
            .filter(|f| f.gen == id.gen)
            .ok_or(FilesError::Stale)
    }

    fn set_size(&mut self, id: FileId, size: u64) -> Result<(), FilesError> {
        let inode = Inode { gen: id.gen, size };
        lock_disk(&self.disk).write(
            self.layout.inode_sector(id.slot),
            &layout::encode_inode(&self.layout, id.slot, inode),
        )?;
        if let Some(f) = self.slots[id.slot as usize].file.as_mut() {
            f.size = size;
        }
        Ok(())
    }

    /// Reads the directory and every inode back from the disk (what reads
    /// see) and takes it as durable; writes out and syncs the deletions of
    /// the files that later files of their names superseded.
    fn reload_dir(&mut self) -> Result<(), FilesError> {
        let l = self.layout;
        let n = u64::from(l.slots);
        let ss = l.ss;
        let (dir, inodes) = {
            let d = lock_disk(&self.disk);
            let dir = d.read(l.dir_first(), n)?;
            let mut inodes = Vec::with_capacity(dir.len());
            for slot in 0..l.slots {
                d.read_into(l.inode_sector(slot), 1, &mut inodes)?;
            }
            (dir, inodes)
        };
        let mut slots = vec![Slot::default(); l.slots as usize];
        let mut names: BTreeMap<String, u32> = BTreeMap::new();
        let mut superseded = Vec::new();
        // Never below what this layer handed out: a FileId of a file whose
        // creation a failed sync dropped must stay stale.
        let mut next_gen = self.next_gen;
        for slot in 0..l.slots {
            let i = slot as usize;
            let entry =
                layout::decode_entry(&l, slot, &dir[i * ss..(i + 1) * ss]).map_err(|what| {
                    FilesError::Corrupt {
                        sector: l.dir_sector(slot),
                        what,
                    }
                })?;
            let inode =
                layout::decode_inode(&l, slot, &inodes[i * ss..(i + 1) * ss]).map_err(|what| {
                    FilesError::Corrupt {
                        sector: l.inode_sector(slot),
                        what,
                    }
                })?;
            let entry_gen = entry.as_ref().map_or(0, |e| e.gen);
            let inode_gen = inode.map_or(0, |i| i.gen);
            next_gen = next_gen.max(entry_gen.max(inode_gen) + 1);
            let s = &mut slots[i];
            let Some(e) = entry.filter(|e| e.used) else {
                continue;
            };
            s.durable_used = true;
            let size = inode.filter(|i| i.gen == e.gen).map_or(0, |i| i.size);
            if let Some(&other) = names.get(&e.name) {
                let other_gen = slots[other as usize].file.as_ref().map_or(0, |f| f.gen);
                if other_gen > e.gen {
                    superseded.push((slot, e));
                    continue;
                }
                let old = slots[other as usize].file.take().expect("named slot");
                superseded.push((
                    other,
                    Entry {
                        used: true,
                        gen: old.gen,
                        name: old.name,
                    },
                ));
            }
            names.insert(e.name.clone(), slot);
            slots[i].file = Some(Live {
                name: e.name,
                gen: e.gen,
                size,
            });
        }
        self.slots = slots;
        self.names = names;
        self.next_gen = next_gen;
        if superseded.is_empty() {
            return Ok(());
        }
        // The directory as found is taken as durable: the deletions that
        // the surviving creations imply must be durable too, or a second
        // crash could bring a superseded file back over one deleted since.
        let mut d = lock_disk(&self.disk);
        for (slot, e) in &mut superseded {
            e.used = false;
            d.write(l.dir_sector(*slot), &layout::encode_entry(&l, *slot, e))?;
        }
        d.sync_range(l.dir_first(), n)?;
        for (slot, _) in superseded {
            self.slots[slot as usize].durable_used = false;
        }
        Ok(())
    }

    /// Reads one slot's size back from the disk.
    fn reload_inode(&mut self, slot: u32) -> Result<(), FilesError> {
        let l = self.layout;
        let bytes = lock_disk(&self.disk).read(l.inode_sector(slot), 1)?;
        let inode = layout::decode_inode(&l, slot, &bytes).map_err(|what| FilesError::Corrupt {
            sector: l.inode_sector(slot),
            what,
        })?;
        let s = &mut self.slots[slot as usize];
        if let Some(f) = s.file.as_mut() {
            f.size = inode.filter(|i| i.gen == f.gen).map_or(0, |i| i.size);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
