// One job of the CPU backend's bf16 flash attention (see include/CDepthKernelsBF16.h): a block of query rows
// of one head against all its keys, block of keys by block.
//
// Per block of keys: S = bf16(scale·Q)·Kᵀ with the bf16 micro-kernel, then one pass per row that finds the
// row's maximum and then computes e^(s - m) sixteen lanes at a time, adds it to the row's sum and writes it
// straight to bf16 pairs, the A operand of O += P·V. The query rows are converted once per job, not once
// per block. The arithmetic is the composition it replaces, operation for operation: `dd_bf16_gemm` for both
// products, `dd_online_softmax` (kernels.c) for the softmax, then the float32 rescaling and final division;
// the tests check that bit for bit.
#include "bf16_kernel.h"
#include <math.h>
#include <string.h>

/// Words (4 bytes) of each part of a job's scratch, in order: the query rows as bf16 pairs, the probabilities
/// and the scores of one group of MR rows, the output rows, the running maxima and sums.
typedef struct {
    long queryWords, probabilityWords, scores, output, rows;
} Layout;

static Layout layout(long rows, long dh, long key_block) {
    const long padded = (rows + MR - 1) / MR * MR;
    const Layout l = {padded * ((dh + 1) / 2), MR * ((key_block + 1) / 2), MR * key_block, rows * dh, rows};
    return l;
}

long dd_bf16_attention_scratch_floats(long rows, long dh, long key_block) {
    if (rows <= 0 || dh <= 0 || key_block <= 0) return 0;
    const Layout l = layout(rows, dh, key_block);
    return l.queryWords + l.probabilityWords + l.scores + l.output + 2 * l.rows;
}

#ifdef HAVE_BF16_KERNEL
/// e^x in 16 lanes: the operations of kernels.c's `dd_exp` in its order, with the fused multiply-adds the
/// compiler forms from that function's expressions, so both give the same bits.
TARGET static inline __m512 exp16(__m512 x) {
    const __m512 xc = _mm512_min_ps(_mm512_set1_ps(88.3f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
    const __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(1.442695040888963f), _mm512_set1_ps(12582912.0f));
    const __m512 n = _mm512_sub_ps(t, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512i biased = _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)),
                                            _mm512_set1_epi32(127));
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23));
    const __mmask16 under = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
    return _mm512_maskz_mul_ps((__mmask16)~under, p, scale);
}

/// One row's block of n scores: the online softmax step of `dd_online_softmax` (running maximum `m` and sum
/// `l`; returns the factor for what was summed before), with e^(s - m) written as bf16 pairs to `p`
/// ((n + 1) / 2 words, the second half of the last one zero when n is odd) instead of over the scores.
TARGET static float softmax_to_bf16(const float *row, long n, float *m, float *l, uint32_t *p) {
    // The maximum: sixteen running maxima over the full groups of sixteen, then the rest, as there.
    __m512 groups = _mm512_set1_ps(row[0]);
    long i = 0;
    for (; i + 16 <= n; i += 16) groups = _mm512_max_ps(_mm512_loadu_ps(row + i), groups);
    float partial[16];
    _mm512_storeu_ps(partial, groups);
    float mb = row[0];
    for (int j = 0; j < 16; j++) mb = partial[j] > mb ? partial[j] : mb;
    for (; i < n; i++) mb = row[i] > mb ? row[i] : mb;
    const float mnew = *m > mb ? *m : mb;
    // e^(s - m), 32 at a time: full groups of sixteen add to sixteen running sums, the last partial group is
    // summed after them one by one, as there.
    const __m512 shift = _mm512_set1_ps(mnew);
    __m512 sums = _mm512_setzero_ps();
    float rest[16];
    for (i = 0; i < n; i += 32) {
        const __mmask16 m0 = lanes(n - i), m1 = lanes(n - i - 16);
        const __m512 e0 = _mm512_maskz_mov_ps(m0, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m0, row + i), shift)));
        const __m512 e1 = _mm512_maskz_mov_ps(m1, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m1, row + i + 16), shift)));
        if (i + 16 <= n) sums = _mm512_add_ps(sums, e0); else _mm512_storeu_ps(rest, e0);
        if (i + 32 <= n) sums = _mm512_add_ps(sums, e1); else if (i + 16 < n) _mm512_storeu_ps(rest, e1);
        const long words = (n - i >= 32 ? 32 : n - i + 1) / 2;
        _mm512_mask_storeu_epi32(p + i / 2, lanes(words), (__m512i)_mm512_cvtne2ps_pbh(e1, e0));
    }
    _mm512_storeu_ps(partial, sums);
    float sum = 0.0f;
    for (int j = 0; j < 16; j++) sum += partial[j];
    for (long r = 0; r < n % 16; r++) sum += rest[r];
    float factor;
    _mm_store_ss(&factor, _mm512_castps512_ps128(exp16(_mm512_set1_ps(*m - mnew))));
    *l = fmaf(*l, factor, sum);
    *m = mnew;
    return factor;
}

TARGET static void attention_rows(long rows, long dh, const float *q, long ldq, float scale, const uint16_t *keys,
                                  long k_block_stride, const uint16_t *values, long v_block_stride, long key_length,
                                  long key_block, float *out, long ldo, float *scratch) {
    const Layout l = layout(rows, dh, key_block);
    const long qp = (dh + 1) / 2, pp = (key_block + 1) / 2;
    uint32_t *qw = (uint32_t *)scratch, *pw = qw + l.queryWords;
    float *s = (float *)(pw + l.probabilityWords), *acc = s + l.scores, *maxima = acc + l.output, *sums = maxima + rows;
    // The scaled query rows (through the output rows as float32), converted once; padding rows are zero.
    memset(qw, 0, (size_t)l.queryWords * 4);
    memset(pw, 0, (size_t)l.probabilityWords * 4);
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < dh; c++) acc[r * dh + c] = q[r * ldq + c] * scale;
        convert_row(acc + r * dh, dh, qw + r * qp);
    }
    memset(acc, 0, (size_t)l.output * 4);
    for (long r = 0; r < rows; r++) { maxima[r] = -INFINITY; sums[r] = 0.0f; }
    for (long k0 = 0, block = 0; k0 < key_length; k0 += key_block, block++) {
        const long n = key_length - k0 < key_block ? key_length - k0 : key_block, vp = (n + 1) / 2;
        const uint16_t *kb = keys + block * k_block_stride, *vb = values + block * v_block_stride;
        // Eight rows at a time, so that their scores and probabilities stay in L1 between the three steps.
        for (long ir = 0; ir < rows; ir += MR) {
            const int count = (int)(rows - ir < MR ? rows - ir : MR);
            for (long j0 = 0; j0 < n; j0 += NR)
                micro_kernel(qp, qw + ir * qp, qp, kb + (j0 / NR) * qp * NR * 2, s + j0, key_block, count,
                             (int)(n - j0 < NR ? n - j0 : NR), 1, 0.0f, NULL);
            for (long r = ir; r < ir + count; r++) {
                const float factor = softmax_to_bf16(s + (r - ir) * key_block, n, maxima + r, sums + r, pw + (r - ir) * pp);
                if (factor != 1.0f)
                    for (long c = 0; c < dh; c++) acc[r * dh + c] *= factor;
            }
            for (long j0 = 0; j0 < dh; j0 += NR)
                micro_kernel(vp, pw, pp, vb + (j0 / NR) * vp * NR * 2, acc + ir * dh + j0, dh, count,
                             (int)(dh - j0 < NR ? dh - j0 : NR), 1, 1.0f, NULL);
        }
    }
    for (long r = 0; r < rows; r++) {
        const float inverse = 1.0f / sums[r];
        for (long c = 0; c < dh; c++) out[r * ldo + c] = acc[r * dh + c] * inverse;
    }
}
#endif

int dd_bf16_attention_rows(long rows, long dh, const float *q, long ldq, float scale, const uint16_t *keys,
                           long k_block_stride, const uint16_t *values, long v_block_stride, long key_length,
                           long key_block, float *out, long ldo, float *scratch) {
    if (!dd_bf16_supported() || rows <= 0 || dh <= 0 || ldq < dh || ldo < dh || key_length <= 0 || key_block <= 0 ||
        k_block_stride < dd_bf16_packed_count(key_block, dh) || v_block_stride < dd_bf16_packed_count(dh, key_block))
        return -1;
#ifdef HAVE_BF16_KERNEL
    attention_rows(rows, dh, q, ldq, scale, keys, k_block_stride, values, v_block_stride, key_length, key_block, out,
                   ldo, scratch);
    return 0;
#else
    (void)q; (void)scale; (void)keys; (void)values; (void)out; (void)scratch;
    return -1;
#endif
}
