//! The rate-1/3 extension onto three cosets, and reconstruction from any third of the rows.
//!
//! Let `N = rows · cols`, `w` the `N`-th root of unity of arkworks' radix-2 domain and `f` the
//! polynomial of degree `< N` with `f(w^(rows·j + i)) = c[i][j]` (the encoder transposes the
//! row-major matrix before its FFT). Encoded row `i` of coset `k` holds
//! `f(s_k · w^(rows·j + i))` for `j` in `0..cols`, with `s_k` from [`coset_factor`].

use super::padding::{
    Dims, pad_payload, payload_from_scalars, scalar_to_bytes, scalars_from_padded,
};
use super::{COSETS, ELEMENT_BYTES, Error, Fr};
use ark_ff::{FftField, Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

/// The coset offset `s_k` of coset `k` (0, 1 or 2): `g^bitreverse(k, 28 − log₂N)` with `g` the
/// 2^28-th root of unity, as the encoder's `AMTParams::coset_factor` picks it. For the live shape
/// `s_1 = g^128` and `s_2 = g^64`; `s_0 = 1`. A coset above 2 is an error.
pub fn coset_factor(dims: Dims, coset: usize) -> Result<Fr, Error> {
    let log_n = dims.log_rows() + dims.log_cols();
    let g = Fr::TWO_ADIC_ROOT_OF_UNITY;
    match coset {
        0 => Ok(Fr::one()),
        1 => Ok(g.pow([1u64 << (27 - log_n)])),
        2 => Ok(g.pow([1u64 << (26 - log_n)])),
        _ => Err(Error::RowOutOfRange {
            index: coset,
            rows: COSETS,
        }),
    }
}

fn domain(size: usize) -> Result<Radix2EvaluationDomain<Fr>, Error> {
    Radix2EvaluationDomain::<Fr>::new(size).ok_or(Error::InvalidDims("no FFT domain of that size"))
}

/// An encoded blob: `3 · rows` rows of `cols` scalars, row-major, rows `0..rows` the original
/// matrix, then coset 1, then coset 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedBlob {
    dims: Dims,
    data: Vec<Fr>,
}

/// Pads, maps and extends `payload` (the encoder's `RawData → RawBlob → EncodedBlob`).
pub fn encode(payload: &[u8], dims: Dims) -> Result<EncodedBlob, Error> {
    let padded = pad_payload(payload, dims)?;
    let matrix = scalars_from_padded(&padded, dims)?;
    drop(padded);
    extend(matrix, dims)
}

/// Extends an original row-major matrix of `rows · cols` scalars to the three cosets.
pub fn extend(matrix: Vec<Fr>, dims: Dims) -> Result<EncodedBlob, Error> {
    let n = dims.elements();
    if matrix.len() != n {
        return Err(Error::InvalidLength {
            expected: n,
            got: matrix.len(),
        });
    }
    let (rows, cols) = (dims.rows(), dims.cols());
    let dom = domain(n)?;
    // Evaluation order: point index rows·j + i holds c[i][j].
    let mut points = vec![Fr::zero(); n];
    for (idx, x) in matrix.iter().enumerate() {
        let (i, j) = (idx / cols, idx % cols);
        points[j * rows + i] = *x;
    }
    let coeffs = dom.ifft(&points);
    drop(points);
    let mut data = matrix;
    data.reserve_exact(2 * n);
    for coset in 1..COSETS {
        let s = coset_factor(dims, coset)?;
        let mut scaled = coeffs.clone();
        scale_by_powers(&mut scaled, s);
        let evals = dom.fft(&scaled);
        let start = data.len();
        data.resize(start + n, Fr::zero());
        for (idx, x) in evals.into_iter().enumerate() {
            let (j, i) = (idx / rows, idx % rows);
            data[start + i * cols + j] = x;
        }
    }
    Ok(EncodedBlob { dims, data })
}

/// `v[k] *= s^k`.
fn scale_by_powers(v: &mut [Fr], s: Fr) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 12;
        v.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
            let mut p = s.pow([(c * CHUNK) as u64]);
            for x in chunk {
                *x *= p;
                p *= s;
            }
        });
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut p = Fr::one();
        for x in v {
            *x *= p;
            p *= s;
        }
    }
}

impl EncodedBlob {
    /// The shape.
    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// Encoded row `index` (`0..3·rows`) as `cols` scalars.
    pub fn row(&self, index: usize) -> Result<&[Fr], Error> {
        let (cols, rows) = (self.dims.cols(), self.dims.encoded_rows());
        if index >= rows {
            return Err(Error::RowOutOfRange { index, rows });
        }
        Ok(&self.data[index * cols..(index + 1) * cols])
    }

    /// Encoded row `index` as the `cols · 32` bytes a signer stores (each scalar little-endian).
    pub fn row_bytes(&self, index: usize) -> Result<Vec<u8>, Error> {
        Ok(row_to_bytes(self.row(index)?))
    }

    /// All `3 · rows · cols` scalars, row-major.
    pub fn scalars(&self) -> &[Fr] {
        &self.data
    }

    /// The original matrix (the first `rows` rows).
    pub fn original(&self) -> &[Fr] {
        &self.data[..self.dims.elements()]
    }

    /// The payload, with the decoder's checks (31-byte units, length field, zero padding).
    pub fn decode(&self) -> Result<Vec<u8>, Error> {
        payload_from_scalars(self.original(), self.dims)
    }

    /// The data root, streamed row by row through zg-core's [`FileRootBuilder`]
    /// (`O(log n)` hashes of memory; [`DataTree`](super::DataTree) keeps the whole tree for
    /// proofs). With `parallel`, 1 MiB subtrees hash on the rayon pool.
    ///
    /// [`FileRootBuilder`]: zg_core::tree::FileRootBuilder
    pub fn data_root(&self) -> Result<zg_core::H256, Error> {
        #[cfg(feature = "parallel")]
        let mut builder = zg_core::tree::FileRootBuilder::parallel();
        #[cfg(not(feature = "parallel"))]
        let mut builder = zg_core::tree::FileRootBuilder::new();
        for row in self.data.chunks(self.dims.cols()) {
            builder.update(&row_to_bytes(row));
        }
        Ok(builder.finalize()?.root())
    }

    /// The whole encoded blob as bytes, row after row (`3 · rows · cols · 32` bytes): the "file"
    /// whose 0G storage root is the data root.
    pub fn to_bytes(&self) -> Vec<u8> {
        row_to_bytes(&self.data)
    }
}

/// Scalars as consecutive 32-byte little-endian words.
pub(crate) fn row_to_bytes(row: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(row.len() * ELEMENT_BYTES);
    for x in row {
        out.extend_from_slice(&scalar_to_bytes(x));
    }
    out
}

/// One known row turned into evaluations of the `cols` column polynomials.
///
/// Write `f(X) = Σ_k X^k · g_k(X^cols)` with `deg g_k < rows`. On the row's points
/// `a · ζ^j` (`a = s_c · w^i`, `ζ = w^rows` a `cols`-th root of unity) an inverse FFT of size
/// `cols` yields `a^k · g_k(a^cols)`, so each row gives one evaluation of every `g_k` at
/// `y = a^cols`; any `rows` distinct rows determine every `g_k`.
struct Known {
    y: Fr,
    g: Vec<Fr>,
}

fn row_point(dims: Dims, index: usize) -> Result<Fr, Error> {
    let (rows, n) = (dims.rows(), dims.elements());
    let w = domain(n)?.group_gen();
    Ok(coset_factor(dims, index / rows)? * w.pow([(index % rows) as u64]))
}

/// Rebuilds the whole encoded blob from at least `rows` of its rows, given as `(index, scalars)`.
///
/// The result does not depend on the order of `rows_in`: rows are sorted by index, a repeated
/// index must repeat the same contents, the `rows` lowest indices interpolate the blob, and every
/// given row is then checked against the result (a row set that is not one codeword is
/// [`Error::InconsistentRows`]). Rows given here should already be checked against the data root
/// with a [`RowProof`](super::RowProof): reconstruction proves consistency, not authenticity.
///
/// Cost: `O(rows²)` for the interpolation weights plus `O(missing · rows · cols)` to rebuild the
/// missing original rows (about 2^30 field multiplications when all 1024 live original rows are
/// missing — seconds in release, spread over the rayon pool with `parallel`), then one extension.
pub fn reconstruct(dims: Dims, rows_in: &[(usize, Vec<Fr>)]) -> Result<EncodedBlob, Error> {
    let (rows, cols, total) = (dims.rows(), dims.cols(), dims.encoded_rows());
    let mut sorted: Vec<&(usize, Vec<Fr>)> = rows_in.iter().collect();
    for (index, row) in rows_in {
        if *index >= total {
            return Err(Error::RowOutOfRange {
                index: *index,
                rows: total,
            });
        }
        if row.len() != cols {
            return Err(Error::InvalidLength {
                expected: cols,
                got: row.len(),
            });
        }
    }
    sorted.sort_by_key(|(i, _)| *i);
    let mut distinct: Vec<&(usize, Vec<Fr>)> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match distinct.last() {
            Some(last) if last.0 == r.0 => {
                if last.1 != r.1 {
                    return Err(Error::InconsistentRows);
                }
            }
            _ => distinct.push(r),
        }
    }
    if distinct.len() < rows {
        return Err(Error::NotEnoughRows {
            have: distinct.len(),
            need: rows,
        });
    }
    let col_dom = domain(cols)?;
    let mut known = Vec::with_capacity(rows);
    for (index, row) in distinct.iter().take(rows) {
        let a = row_point(dims, *index)?;
        let mut g = col_dom.ifft(row);
        let a_inv = a.inverse().ok_or(Error::InconsistentRows)?;
        scale_by_powers(&mut g, a_inv);
        known.push(Known {
            y: a.pow([cols as u64]),
            g,
        });
    }
    let original = rebuild_original(dims, &known, &distinct)?;
    let blob = extend(original, dims)?;
    for (index, row) in &distinct {
        if blob.row(*index)? != row.as_slice() {
            return Err(Error::InconsistentRows);
        }
    }
    Ok(blob)
}

/// The original matrix: known original rows copied, missing ones evaluated by barycentric
/// Lagrange interpolation of the column polynomials.
fn rebuild_original(
    dims: Dims,
    known: &[Known],
    distinct: &[&(usize, Vec<Fr>)],
) -> Result<Vec<Fr>, Error> {
    let (rows, cols) = (dims.rows(), dims.cols());
    // denominators d_m = Π_{l≠m} (y_m − y_l), inverted once.
    let mut inv_d: Vec<Fr> = known
        .iter()
        .enumerate()
        .map(|(m, km)| {
            known
                .iter()
                .enumerate()
                .filter(|(l, _)| *l != m)
                .fold(Fr::one(), |acc, (_, kl)| acc * (km.y - kl.y))
        })
        .collect();
    ark_ff::batch_inversion(&mut inv_d);
    if inv_d.iter().any(Zero::is_zero) {
        return Err(Error::InconsistentRows);
    }
    let mut have = vec![None; rows];
    for (index, row) in distinct {
        if *index < rows {
            have[*index] = Some(row);
        }
    }
    let col_dom = domain(cols)?;
    let build_row = |i: usize| -> Result<Vec<Fr>, Error> {
        if let Some(row) = have[i] {
            return Ok(row.clone());
        }
        let a = row_point(dims, i)?;
        let y = a.pow([cols as u64]);
        let mut diffs: Vec<Fr> = known.iter().map(|k| y - k.y).collect();
        let ell = diffs.iter().fold(Fr::one(), |acc, d| acc * d);
        ark_ff::batch_inversion(&mut diffs);
        let mut h = vec![Fr::zero(); cols];
        for (m, k) in known.iter().enumerate() {
            let weight = ell * diffs[m] * inv_d[m];
            for (hk, gk) in h.iter_mut().zip(&k.g) {
                *hk += weight * gk;
            }
        }
        scale_by_powers(&mut h, a);
        Ok(col_dom.fft(&h))
    };
    #[cfg(feature = "parallel")]
    let built: Result<Vec<Vec<Fr>>, Error> = {
        use rayon::prelude::*;
        (0..rows).into_par_iter().map(build_row).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let built: Result<Vec<Vec<Fr>>, Error> = (0..rows).map(build_row).collect();
    Ok(built?.concat())
}
