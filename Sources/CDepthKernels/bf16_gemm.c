// bf16 GEMM with float32 accumulation on AVX512-BF16 (see include/CDepthKernelsBF16.h for the API and the
// packed weight layout).
//
// Structure (the usual packed-GEMM blocking): the columns are cut into blocks of NC, the rows into blocks of
// MC and, inside those, the K dimension into blocks of at most KC, so that an MC x NC block of C stays in
// cache while its K blocks are summed into it. Each MC x KC block of A is converted to bf16 into a scratch
// buffer (row-major, one 32-bit word per pair of k; `dd_bf16_gemm_converted` reads A converted once
// instead), and a register-blocked micro-kernel multiplies MR rows of it by one 32-column panel of the
// packed weight: 2·MR zmm accumulators, one `vdpbf16ps` per accumulator and pair of k, the A word
// broadcast. The MR rows of A (MR·KC·2 bytes) stay in L1 while the kernel walks along a KC x NC block of
// the weight (in L2). Partial tiles (rows < MR, columns < 32) are handled by zero padding of the packed
// operands and masked loads and stores of C.
#include "bf16_kernel.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__clang__)
#include <cpuid.h>
#endif

#define KC 384    // k per block (at most): MR rows of A are MR·KC·2 bytes = 6 KiB, kept in L1
#define MC 256    // rows per A block: MC·KC·2 bytes = 192 KiB of scratch
#define NC 768    // columns per block: a KC x NC weight block is 576 KiB, an MC x NC block of C 768 KiB
// The order (i0 outer, k0 inner) was measured 5-10 % faster than k0 outer for N = 320 with large K, and
// the same elsewhere (AMD Zen 4).

// MARK: Conversions (portable)

static inline uint16_t f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // NaN stays (quiet) NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float bf16_to_f32(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    uint32_t u;
    if (exponent == 0x1f) {
        u = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        u = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else {
        float f = (float)mantissa * 0x1p-24f;  // zero or subnormal, exact
        memcpy(&u, &f, 4);
        u |= sign;
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/// float32 to IEEE binary16, round to nearest, ties to even (overflow to infinity, NaN stays NaN).
static inline uint16_t f32_to_f16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u;
    if (a >= 0x477ff000u) return sign | 0x7c00u;  // 65520 and above round to infinity
    if (a >= 0x38800000u) {                         // normal binary16 (2^-14 and above): rebias, round
        uint32_t r = a - 0x38000000u;
        r += 0xfffu + ((r >> 13) & 1u);
        return sign | (uint16_t)(r >> 13);
    }
    const uint32_t shift = 126u - (a >> 23);         // subnormal: units of 2^-24
    if (shift > 25u) return sign;
    const uint32_t mantissa = (a & 0x7fffffu) | 0x800000u, half = 1u << (shift - 1);
    uint32_t q = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u);
    if (rest > half || (rest == half && (q & 1u))) q++;
    return sign | (uint16_t)q;
}

static inline float source_to_f32(const void *source, int type, long index) {
    switch (type) {
    case DD_SOURCE_F16: return f16_to_f32(((const uint16_t *)source)[index]);
    case DD_SOURCE_BF16: return bf16_to_f32(((const uint16_t *)source)[index]);
    default: return ((const float *)source)[index];
    }
}

static inline uint16_t source_to_bf16(const void *source, int type, long index) {
    switch (type) {
    case DD_SOURCE_F16: return f32_to_bf16(f16_to_f32(((const uint16_t *)source)[index]));
    case DD_SOURCE_BF16: return ((const uint16_t *)source)[index];
    default: return f32_to_bf16(((const float *)source)[index]);
    }
}

void dd_bf16_round_floats(float *values, long count) {
    for (long i = 0; i < count; i++) values[i] = bf16_to_f32(f32_to_bf16(values[i]));
}

// MARK: Packing

long dd_bf16_packed_count(long n, long k) {
    if (n <= 0 || k <= 0) return 0;
    return (n + NR - 1) / NR * NR * ((k + 1) / 2) * 2;
}

static void pack_b(const void *source, int source_type, int source_is_nk, long n, long k, long ld, int f16,
                   uint16_t *packed) {
    const long pairs = (k + 1) / 2, panels = (n + NR - 1) / NR;
    for (long panel = 0; panel < panels; panel++) {
        uint16_t *out = packed + panel * pairs * NR * 2;
        for (long p = 0; p < pairs; p++) {
            for (long jj = 0; jj < NR; jj++) {
                const long j = panel * NR + jj;
                for (long parity = 0; parity < 2; parity++) {
                    const long kk = 2 * p + parity;
                    uint16_t value = 0;
                    const long index = source_is_nk ? j * ld + kk : kk * ld + j;
                    if (j < n && kk < k) {
                        value = f16 ? (source_type == DD_SOURCE_F16 ? ((const uint16_t *)source)[index]
                                                                   : f32_to_f16(source_to_f32(source, source_type, index)))
                                    : source_to_bf16(source, source_type, index);
                    }
                    out[(p * NR + jj) * 2 + parity] = value;
                }
            }
        }
    }
}

void dd_bf16_pack_b(const void *source, int source_type, int source_is_nk, long n, long k, long ld,
                    uint16_t *packed) {
    pack_b(source, source_type, source_is_nk, n, k, ld, 0, packed);
}

void dd_f16_pack_b(const void *source, int source_type, int source_is_nk, long n, long k, long ld,
                   uint16_t *packed) {
    pack_b(source, source_type, source_is_nk, n, k, ld, 1, packed);
}

static void unpack_b(const uint16_t *packed, long k, long col0, long col1, float *out, long ldo, int f16) {
    const long pairs = (k + 1) / 2;
    for (long panel = col0 / NR; panel * NR < col1; panel++) {
        const uint16_t *src = packed + panel * pairs * NR * 2;
        const long j0 = panel * NR > col0 ? panel * NR : col0, j1 = panel * NR + NR < col1 ? panel * NR + NR : col1;
        for (long kk = 0; kk < k; kk++) {
            const uint16_t *row = src + (kk / 2) * NR * 2 + kk % 2;
            float *dst = out + kk * ldo - col0;
            if (f16) {
                for (long j = j0; j < j1; j++) dst[j] = f16_to_f32(row[(j - panel * NR) * 2]);
            } else {
                for (long j = j0; j < j1; j++) dst[j] = bf16_to_f32(row[(j - panel * NR) * 2]);
            }
        }
    }
}

void dd_bf16_unpack_b(const uint16_t *packed, long n, long k, long col0, long col1, float *out, long ldo) {
    (void)n;
    unpack_b(packed, k, col0, col1, out, ldo, 0);
}

void dd_f16_unpack_b(const uint16_t *packed, long n, long k, long col0, long col1, float *out, long ldo) {
    (void)n;
    unpack_b(packed, k, col0, col1, out, ldo, 1);
}

void dd_f16_round_floats(float *values, long count) {
    for (long i = 0; i < count; i++) values[i] = f16_to_f32(f32_to_f16(values[i]));
}

// MARK: AVX512-BF16 kernel

#ifdef HAVE_BF16_KERNEL

static int detect_bf16(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return 0;  // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM state enabled
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const int avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    const int bf16 = (eax >> 5) & 1;
    return avx512f && avx512bw && avx512vl && bf16;
}

/// Converts an mc x kc block of A (row stride lda) to bf16 pairs: word p of row r at out[r·kcp + p], zero
/// past kc and in the rows from mc up to the next multiple of MR.
TARGET static void pack_a(const float *a, long lda, long mc, long kc, uint32_t *out, long kcp) {
    const long rows = (mc + MR - 1) / MR * MR;
    for (long r = 0; r < rows; r++) {
        uint32_t *dst = out + r * kcp;
        if (r >= mc) { memset(dst, 0, (size_t)kcp * 4); continue; }
        convert_row(a + r * lda, kc, dst);
    }
}

/// The blocked product behind both entry points, with A either float32 (`a`, converted block by block into
/// `abuf`) or, when `words` is not NULL, converted already (row stride `ldw` words): the same blocks and the
/// same order of sums either way.
TARGET static void gemm_blocks(long m, long k, const float *a, long lda, const uint32_t *words, long ldw,
                               uint32_t *abuf, const uint16_t *packed, long col0, long col1, float *c, long ldc,
                               float beta, const float *bias) {
    const long pairs = (k + 1) / 2;
    // K blocks of equal size (even, at most KC), so no block is a short remainder.
    const long blocks = (k + KC - 1) / KC, kcMax = ((k + blocks - 1) / blocks + 1) / 2 * 2;
    for (long n0 = col0; n0 < col1; n0 += NC) {
        const long n1 = col1 - n0 < NC ? col1 : n0 + NC;
        for (long i0 = 0; i0 < m; i0 += MC) {
            const long mc = m - i0 < MC ? m - i0 : MC;
            for (long k0 = 0; k0 < k; k0 += kcMax) {
                const long kc = k - k0 < kcMax ? k - k0 : kcMax, kcp = (kc + 1) / 2;
                const int first = k0 == 0;
                const uint32_t *block = words ? words + i0 * ldw + k0 / 2 : abuf;
                const long stride = words ? ldw : kcp;
                if (!words) pack_a(a + i0 * lda + k0, lda, mc, kc, abuf, kcp);
                for (long ir = 0; ir < mc; ir += MR) {
                    const int rows = (int)(mc - ir < MR ? mc - ir : MR);
                    for (long j0 = n0; j0 < n1; j0 += NR) {
                        const uint16_t *bp = packed + ((j0 / NR) * pairs + k0 / 2) * NR * 2;
                        const int cols = (int)(n1 - j0 < NR ? n1 - j0 : NR);
                        micro_kernel(kcp, block + ir * stride, stride, bp, c + (i0 + ir) * ldc + j0, ldc, rows, cols,
                                     first, beta, bias ? bias + j0 : NULL);
                    }
                }
            }
        }
    }
}

TARGET static int gemm_bf16(long m, long k, const float *a, long lda, const uint16_t *packed, long col0,
                            long col1, float *c, long ldc, float beta, const float *bias) {
    const long mcMax = ((m < MC ? m : MC) + MR - 1) / MR * MR;
    const long blocks = (k + KC - 1) / KC, kcpMax = ((k + blocks - 1) / blocks + 1) / 2;
    const size_t bytes = ((size_t)(mcMax * kcpMax * 4) + 63) / 64 * 64;
    uint32_t *abuf = aligned_alloc(64, bytes);
    if (!abuf) return -1;
    gemm_blocks(m, k, a, lda, NULL, 0, abuf, packed, col0, col1, c, ldc, beta, bias);
    free(abuf);
    return 0;
}
#endif

int dd_bf16_supported(void) {
#ifdef HAVE_BF16_KERNEL
    static int cached = -1;
    if (cached < 0) cached = detect_bf16();
    return cached;
#else
    return 0;
#endif
}

int dd_bf16_gemm(long m, long n, long k, const float *a, long lda, const uint16_t *packed, long col0, long col1,
                 float *c, long ldc, float beta, const float *bias) {
    if (!dd_bf16_supported() || m < 0 || k < 0 || col0 < 0 || col0 > col1 || col1 > n || col0 % NR != 0) return -1;
    if (m == 0 || col0 == col1) return 0;
    if (k == 0) {
        for (long i = 0; i < m; i++)
            for (long j = col0; j < col1; j++)
                c[i * ldc + j] = (beta != 0.0f ? beta * c[i * ldc + j] : 0.0f) + (bias ? bias[j] : 0.0f);
        return 0;
    }
#ifdef HAVE_BF16_KERNEL
    return gemm_bf16(m, k, a, lda, packed, col0, col1, c, ldc, beta, bias);
#else
    (void)a; (void)lda; (void)packed;
    return -1;
#endif
}

int dd_bf16_convert_rows(const float *a, long lda, long rows, long k, uint32_t *out, long ldo) {
    if (!dd_bf16_supported() || rows < 0 || k < 0 || lda < k || ldo < (k + 1) / 2) return -1;
#ifdef HAVE_BF16_KERNEL
    for (long r = 0; r < rows; r++) convert_row(a + r * lda, k, out + r * ldo);
    return 0;
#else
    (void)a; (void)out;
    return -1;
#endif
}

int dd_bf16_gemm_converted(long m, long n, long k, const uint32_t *a, long lda, const uint16_t *packed, long col0,
                           long col1, float *c, long ldc, float beta, const float *bias) {
    if (!dd_bf16_supported() || m < 0 || k < 0 || lda < (k + 1) / 2 || col0 < 0 || col0 > col1 || col1 > n ||
        col0 % NR != 0) return -1;
    if (m == 0 || col0 == col1) return 0;
    if (k == 0) return dd_bf16_gemm(m, n, 0, NULL, 0, packed, col0, col1, c, ldc, beta, bias);
#ifdef HAVE_BF16_KERNEL
    gemm_blocks(m, k, NULL, 0, a, lda, NULL, packed, col0, col1, c, ldc, beta, bias);
    return 0;
#else
    (void)a; (void)packed;
    return -1;
#endif
}
