//! The ACPI SLIT, decoded (Linux: `struct acpi_table_slit`; `slit_valid()` and
//! `acpi_parse_slit()` in `drivers/acpi/numa/srat.c`).

use super::sdt::{u64_at, u8_at, Sdt, Table};
use crate::error::Result;
use crate::topology::LOCAL_DISTANCE;

/// Byte offset of the locality count in the SLIT.
const COUNT_OFFSET: usize = 36;

/// A checked SLIT: an `n × n` matrix of one-byte distances between proximity domains
/// `0..n`, row = from, column = to.
///
/// # Examples
/// ```
/// use mempolicy::firmware::Slit;
/// // Two localities, 10/21: the usual two-socket table.
/// let mut t = b"SLIT\0\0\0\0\x01\0BOCHS BXPC    \x01\0\0\0BXPC\x01\0\0\0".to_vec();
/// t.extend_from_slice(&2u64.to_le_bytes());
/// t.extend_from_slice(&[10, 21, 21, 10]);
/// let len = t.len() as u32;
/// t[4..8].copy_from_slice(&len.to_le_bytes());
/// let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
/// t[9] = 0u8.wrapping_sub(sum);
/// let slit = Slit::parse(&t)?;
/// assert_eq!(slit.localities(), 2);
/// assert_eq!(slit.distance(1, 0), Some(21));
/// assert!(slit.is_valid());
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slit<'a> {
    sdt: Sdt<'a>,
    localities: usize,
}

impl<'a> Slit<'a> {
    /// Checks `bytes` as a SLIT: the header (see [`Sdt::parse`]) and a matrix of `count ×
    /// count` bytes that fits in the table. Bytes after the matrix are ignored, as Linux
    /// ignores them.
    ///
    /// # Errors
    /// [`Error::FirmwareTable`](crate::Error::FirmwareTable) naming [`Table::Slit`]: for the
    /// header, and at offset 36 (the locality count) when the matrix does not fit in the
    /// table. Linux does not check this and would read past the table.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let sdt = Sdt::parse(Table::Slit, bytes)?;
        let count = u64_at(sdt.bytes(), COUNT_OFFSET);
        let room = (sdt.bytes().len() - Table::Slit.fixed_len()) as u64;
        match count.checked_mul(count) {
            Some(cells) if cells <= room => Ok(Self {
                sdt,
                // count² fits in a usize-sized table, so count does too.
                localities: count as usize,
            }),
            _ => Err(Table::Slit.fault(
                COUNT_OFFSET,
                "locality count needs a larger matrix than the table holds",
            )),
        }
    }

    /// Returns the checked header.
    pub const fn sdt(&self) -> &Sdt<'a> {
        &self.sdt
    }

    /// Returns the number of localities `n` (Linux: `locality_count`).
    pub const fn localities(&self) -> usize {
        self.localities
    }

    /// Returns the distance from locality `from` to `to`, or `None` outside the matrix.
    pub fn distance(&self, from: usize, to: usize) -> Option<u8> {
        if from >= self.localities || to >= self.localities {
            return None;
        }
        Some(u8_at(
            self.sdt.bytes(),
            Table::Slit.fixed_len() + from * self.localities + to,
        ))
    }

    /// Returns the byte offset of the first entry that makes Linux refuse the table, or `None`
    /// if Linux uses it (Linux: `slit_valid()`: 10 on the diagonal, more than 10 elsewhere;
    /// otherwise "SLIT table looks invalid. Not used." and every distance stays 10/20).
    pub fn first_invalid(&self) -> Option<usize> {
        let n = self.localities;
        (0..n * n).find_map(|cell| {
            let (i, j) = (cell / n, cell % n);
            let d = self.distance(i, j).unwrap_or(0);
            let bad = if i == j {
                d != LOCAL_DISTANCE
            } else {
                d <= LOCAL_DISTANCE
            };
            bad.then_some(Table::Slit.fixed_len() + cell)
        })
    }

    /// Returns whether Linux uses the table (see [`Slit::first_invalid`]).
    pub fn is_valid(&self) -> bool {
        self.first_invalid().is_none()
    }
}
