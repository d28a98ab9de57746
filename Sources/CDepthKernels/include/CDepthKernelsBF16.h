#ifndef CDEPTHKERNELSBF16_H
#define CDEPTHKERNELSBF16_H
/// bf16 matrix products for the CPU backend (bf16_gemm.c): C = A·B with A float32 activations (converted
/// to bf16 on the fly), B a weight matrix packed once into bf16, and float32 accumulation.
///
/// Packed weight layout: the N columns of B (the output features) are split into panels of
/// `DD_BF16_PANEL` (32) columns, the last one padded with zeros. Each panel holds ceil(K/2) pairs of rows
/// (k = 2p, 2p+1), and each pair stores the 32 columns as adjacent (B[2p][j], B[2p+1][j]) bf16 pairs:
///
///     packed[((panel · ceil(K/2) + p) · 32 + (j mod 32)) · 2 + (k mod 2)] = bf16(B[k][j]),  p = k / 2
///
/// (a zero second element when K is odd). That is the operand order of AVX512-BF16 `vdpbf16ps`: one
/// 64-byte load gives 16 columns times one row pair. Size: `dd_bf16_packed_count(n, k)` 16-bit elements,
/// ceil(N/32)·32 · 2·ceil(K/2), so about N·K·2 bytes, half of float32.
///
/// Conversions to bf16 round to nearest, ties to even (NaN stays NaN). The AVX512-BF16 product treats
/// bf16 subnormals as zero, as the instruction does.
#include <stdint.h>

/// Columns per packed panel.
#define DD_BF16_PANEL 32

/// Element type of a matrix handed to `dd_bf16_pack_b`.
enum {
    DD_SOURCE_F32 = 0,
    DD_SOURCE_F16 = 1,  ///< IEEE binary16: widened exactly, then rounded to bf16.
    DD_SOURCE_BF16 = 2, ///< Copied unchanged.
};

/// 1 when the processor and operating system run AVX512-BF16 instructions (CPUID leaf 7 subleaf 1 EAX bit 5,
/// AVX-512 state enabled in XCR0), else 0. Checked once.
int dd_bf16_supported(void);

/// Number of 16-bit elements of a packed N x K weight (see the layout above).
long dd_bf16_packed_count(long n, long k);

/// Packs the K x N matrix B into `packed` (`dd_bf16_packed_count(n, k)` elements). `source` holds elements of
/// type `source_type`; with `source_is_nk` != 0 it is an N x K row-major matrix (a Linear weight
/// [out, in]: B[k][j] = source[j·ld + k]), otherwise K x N row-major (B[k][j] = source[k·ld + j]).
void dd_bf16_pack_b(const void *source, int source_type, int source_is_nk, long n, long k, long ld,
                    uint16_t *packed);

/// Writes columns `col0 ..< col1` of the packed N x K matrix back as float32 (exact), K x (col1 - col0)
/// row-major into `out` with row stride `ldo`: out[k·ldo + j - col0] = B[k][j].
void dd_bf16_unpack_b(const uint16_t *packed, long n, long k, long col0, long col1, float *out, long ldo);

/// C[i][j] = beta·C[i][j] + bias[j] + Σ_k bf16(A[i][k])·B[k][j] for rows i < m and columns col0 <= j < col1,
/// with float32 accumulation. A is m x k float32 row-major (row stride `lda`); `packed` is B packed by
/// `dd_bf16_pack_b` for `n` columns; C is float32 row-major (row stride `ldc`, column 0 at `c`). With
/// beta = 0, C is only written (it may hold anything). `bias` (n floats, indexed by column) may be NULL.
/// `col0` must be a multiple of DD_BF16_PANEL and 0 <= col0 <= col1 <= n.
///
/// Single-threaded: callers split rows or panel-aligned column ranges over threads. Requires
/// `dd_bf16_supported()`; returns -1 without touching C when it is 0 or the arguments are invalid (or its scratch
/// allocation of at most 192 KiB fails), 0 on success.
int dd_bf16_gemm(long m, long n, long k, const float *a, long lda, const uint16_t *packed, long col0, long col1,
                 float *c, long ldc, float beta, const float *bias);

/// Converts `rows` rows of the float32 matrix A (row stride `lda`, `k` columns) to bf16 pairs, as
/// `dd_bf16_gemm` does block by block: word p of row r, out[r·ldo + p], holds bf16(A[r][2p]) in its low half
/// and bf16(A[r][2p + 1]) in its high half (zero past k). Words from ceil(k/2) to `ldo` are not written.
/// Returns -1 without writing when AVX512-BF16 is missing or the arguments are invalid, 0 on success.
int dd_bf16_convert_rows(const float *a, long lda, long rows, long k, uint32_t *out, long ldo);

/// `dd_bf16_gemm` with A converted once by `dd_bf16_convert_rows` (row stride `lda` words), so that products
/// split into blocks of columns do not convert A once per block. The results are those of `dd_bf16_gemm`,
/// bit for bit. The kernel reads A in groups of 8 rows: rows up to the next multiple of 8 after `m` must be
/// readable (what they hold does not reach C). Single-threaded, no scratch memory; returns -1 without touching
/// C when AVX512-BF16 is missing or the arguments are invalid, 0 on success.
int dd_bf16_gemm_converted(long m, long n, long k, const uint32_t *a, long lda, const uint16_t *packed, long col0,
                           long col1, float *c, long ldc, float beta, const float *bias);

/// Floats of scratch that `dd_bf16_attention_rows` needs for `rows` query rows, head size `dh` and blocks of
/// `key_block` keys (0 when an argument is not positive).
long dd_bf16_attention_scratch_floats(long rows, long dh, long key_block);

/// Flash attention of `rows` query rows of one head against `key_length` keys with bf16 products and float32
/// softmax and accumulation: out[r][c] = Σ_j softmax_j(bf16(scale·q[r])·bf16(K[j]))·bf16(V[j][c]), the
/// softmax taken block of `key_block` keys by block with a running maximum and sum (the probabilities are
/// rounded to bf16 for the product with V). `q` is rows x dh float32 (row stride `ldq`), `out` likewise
/// (row stride `ldo`). Key block b (keys b·key_block ..< min(key_length, (b + 1)·key_block), n of them) is
/// packed by `dd_bf16_pack_b` at `keys + b·k_block_stride` as an n x dh (N x K) matrix and at
/// `values + b·v_block_stride` as a dh x n matrix (so the strides are at least `dd_bf16_packed_count(key_block,
/// dh)` and `dd_bf16_packed_count(dh, key_block)`). `scratch` holds `dd_bf16_attention_scratch_floats(rows, dh,
/// key_block)` floats. Single-threaded; returns -1 without writing when AVX512-BF16 is missing or the arguments
/// are invalid, 0 on success.
int dd_bf16_attention_rows(long rows, long dh, const float *q, long ldq, float scale, const uint16_t *keys,
                           long k_block_stride, const uint16_t *values, long v_block_stride, long key_length,
                           long key_block, float *out, long ldo, float *scratch);

/// The same layout holding IEEE binary16 instead of bf16, for float32 products with 16-bit weights (widen
/// with `dd_f16_unpack_b`, then sgemm): float32 sources are rounded to nearest, ties to even (overflow to
/// infinity), float16 sources are copied, bf16 sources are rounded like float32.
void dd_f16_pack_b(const void *source, int source_type, int source_is_nk, long n, long k, long ld,
                   uint16_t *packed);
/// `dd_bf16_unpack_b` for a matrix packed by `dd_f16_pack_b`.
void dd_f16_unpack_b(const uint16_t *packed, long n, long k, long col0, long col1, float *out, long ldo);
/// Rounds `count` floats to binary16 (nearest, ties to even) and back, in place.
void dd_f16_round_floats(float *values, long count);

/// Rounds `count` floats to bf16 (nearest, ties to even) and back, in place: the values the bf16 product
/// multiplies. For tests and error estimates.
void dd_bf16_round_floats(float *values, long count);
#endif
