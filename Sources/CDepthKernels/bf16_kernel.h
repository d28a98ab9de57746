// The AVX512-BF16 building blocks shared by the bf16 GEMM (bf16_gemm.c) and the bf16 attention
// (bf16_attention.c): conversion of float32 rows to bf16 pairs and the register-blocked micro-kernel.
// Internal to CDepthKernels.
#ifndef DD_BF16_KERNEL_H
#define DD_BF16_KERNEL_H
#include "CDepthKernelsBF16.h"
#include <stdint.h>

#define NR DD_BF16_PANEL
#define MR 8  // rows per micro-kernel call: 2·MR accumulators

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define HAVE_BF16_KERNEL 1
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/// The mask of the first `count` of 16 lanes (none when count <= 0, all when count >= 16).
TARGET static inline __mmask16 lanes(long count) {
    return count >= 16 ? (__mmask16)0xffff : count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1);
}

/// Converts the first kc floats of one row to bf16 pairs: word p of `dst` holds (src[2p], src[2p + 1]), the
/// second element zero when kc is odd.
TARGET static inline void convert_row(const float *src, long kc, uint32_t *dst) {
    long kk = 0;
    for (; kk + 32 <= kc; kk += 32) {
        const __m512 lo = _mm512_loadu_ps(src + kk), hi = _mm512_loadu_ps(src + kk + 16);
        _mm512_storeu_si512(dst + kk / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    if (kk < kc) {
        const long left = kc - kk;
        const __m512 lo = _mm512_maskz_loadu_ps(lanes(left), src + kk);
        const __m512 hi = _mm512_maskz_loadu_ps(lanes(left - 16), src + kk + 16);
        _mm512_mask_storeu_epi32(dst + kk / 2, lanes((left + 1) / 2), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}

/// C[0..<rows][0..<cols] (row stride ldc) gets the product of MR rows of packed A (word p of row r at
/// a[r·as + p]) and one packed weight panel block b (kcp pairs). `first`: the first k block, where C is
/// scaled by beta (not read when beta is 0) and the bias (offset to this panel, may be NULL) is added;
/// later blocks add to C.
TARGET static inline void micro_kernel(long kcp, const uint32_t *a, long as, const uint16_t *b, float *c, long ldc,
                                int rows, int cols, int first, float beta, const float *bias) {
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
    }
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (long p = 0; p < kcp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * NR * 2);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * NR * 2 + 32);
        for (int r = 0; r < MR; r++) {
            const __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[r * as + p]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
        }
    }
    const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16);
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (first && bias) { bias0 = _mm512_maskz_loadu_ps(m0, bias); bias1 = _mm512_maskz_loadu_ps(m1, bias + 16); }
    const __m512 scale = _mm512_set1_ps(first ? beta : 1.0f);
    const int load = !first || beta != 0.0f;
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + r * ldc;
        __m512 v0 = _mm512_add_ps(acc[r][0], bias0), v1 = _mm512_add_ps(acc[r][1], bias1);
        if (load) {
            v0 = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(m0, cr), v0);
            v1 = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(m1, cr + 16), v1);
        }
        _mm512_mask_storeu_ps(cr, m0, v0);
        _mm512_mask_storeu_ps(cr + 16, m1, v1);
    }
}

#endif
#endif
