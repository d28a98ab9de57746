// Vectorisable float32 kernels for the CPU backend (see include/CDepthKernels.h).
// The same bodies are compiled three times: for AVX-512, for AVX2+FMA (selected at run time with
// __builtin_cpu_supports) and for the baseline target. Written branch-free so that the loops vectorise. The
// AVX-512 and AVX2 versions differ only in vector width: both fuse the same multiply-adds and the reductions
// keep sixteen explicit partial results, so they give the same bits.
#include "CDepthKernels.h"
#include <stdint.h>
#include <string.h>

// e^x: Cody-Waite reduction, degree-7 polynomial (<= 2 ulp on the normal range); 0 below -87.3.
static inline __attribute__((always_inline)) float dd_exp(float x) {
    float xc = x < -87.3f ? -87.3f : x;
    xc = xc > 88.3f ? 88.3f : xc;
    const float t = xc * 1.442695040888963f + 12582912.0f;  // round to nearest via 1.5 * 2^23
    const float n = t - 12582912.0f;
    float r = xc - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits;
    memcpy(&bits, &t, 4);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return x < -87.3f ? 0.0f : p * scale;
}

// erfc(z), Numerical Recipes' Chebyshev fit (relative error < 1.2e-7).
static inline __attribute__((always_inline)) float dd_erfc(float z) {
    const float a = z < 0.0f ? -z : z;
    const float t = 1.0f / (1.0f + 0.5f * a);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    const float r = t * dd_exp(p - a * a);
    return z < 0.0f ? 2.0f - r : r;
}

static inline __attribute__((always_inline)) float dd_gelu(float x) { return 0.5f * x * dd_erfc(-0.70710678118654752f * x); }
static inline __attribute__((always_inline)) float dd_sigmoid(float x) { return 1.0f / (1.0f + dd_exp(-x)); }

#define DEFINE_KERNELS(SUFFIX, ATTR)                                                              \
    ATTR static void unary_##SUFFIX(int op, const float *x, float *y, long n) {                    \
        switch (op) {                                                                              \
        case 0: for (long i = 0; i < n; i++) y[i] = dd_gelu(x[i]); break;                          \
        case 1: for (long i = 0; i < n; i++) {                                                     \
                    const float v = x[i], u = 0.7978845608028654f * (v + 0.044715f * v * v * v);   \
                    y[i] = 0.5f * v * (2.0f - 2.0f / (dd_exp(2.0f * u) + 1.0f));                   \
                } break;                                                                           \
        case 2: for (long i = 0; i < n; i++) y[i] = x[i] * dd_sigmoid(1.702f * x[i]); break;       \
        case 3: for (long i = 0; i < n; i++) y[i] = x[i] * dd_sigmoid(x[i]); break;                \
        default: for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;             \
        }                                                                                          \
    }                                                                                              \
    ATTR static void geglu_##SUFFIX(const float *h, const float *g, float *o, long n) {            \
        for (long i = 0; i < n; i++) o[i] = h[i] * dd_gelu(g[i]);                                  \
    }                                                                                              \
    ATTR static void affine_##SUFFIX(const float *x, float *y, long n, float s, float b, int silu) { \
        if (silu) { for (long i = 0; i < n; i++) { const float v = x[i] * s + b; y[i] = v * dd_sigmoid(v); } } \
        else { for (long i = 0; i < n; i++) y[i] = x[i] * s + b; }                                 \
    }                                                                                              \
    ATTR static float online_softmax_##SUFFIX(float *row, long n, float *m, float *l) {             \
        /* 16 partial maxima and sums, so the reductions vectorise without reassociation flags. */ \
        float mv[16], sv[16];                                                                      \
        for (int j = 0; j < 16; j++) { mv[j] = row[0]; sv[j] = 0.0f; }                             \
        long i = 0;                                                                                \
        for (; i + 16 <= n; i += 16)                                                               \
            for (int j = 0; j < 16; j++) mv[j] = row[i + j] > mv[j] ? row[i + j] : mv[j];          \
        float mb = row[0];                                                                         \
        for (int j = 0; j < 16; j++) mb = mv[j] > mb ? mv[j] : mb;                                 \
        for (; i < n; i++) mb = row[i] > mb ? row[i] : mb;                                         \
        const float mnew = *m > mb ? *m : mb;                                                      \
        for (i = 0; i < n; i++) row[i] = dd_exp(row[i] - mnew);                                    \
        for (i = 0; i + 16 <= n; i += 16)                                                          \
            for (int j = 0; j < 16; j++) sv[j] += row[i + j];                                      \
        float sum = 0.0f;                                                                          \
        for (int j = 0; j < 16; j++) sum += sv[j];                                                 \
        for (; i < n; i++) sum += row[i];                                                          \
        const float factor = dd_exp(*m - mnew);                                                    \
        *l = *l * factor + sum;                                                                    \
        *m = mnew;                                                                                 \
        return factor;                                                                             \
    }                                                                                              \
    ATTR static void softmax_##SUFFIX(float *row, long n) {                                        \
        /* One block of the online softmax, started at the row's first value, then normalised. */ \
        float m = row[0], l = 0.0f;                                                                \
        online_softmax_##SUFFIX(row, n, &m, &l);                                                   \
        const float inv = 1.0f / l;                                                                \
        for (long i = 0; i < n; i++) row[i] *= inv;                                                \
    }

#if defined(__x86_64__) && defined(__clang__)
DEFINE_KERNELS(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))))
DEFINE_KERNELS(avx2, __attribute__((target("avx2,fma"))))
#endif
DEFINE_KERNELS(base, )

int dd_cpu_level(void) {
#if defined(__x86_64__) && defined(__clang__)
    static int cached = -1;
    if (cached < 0)
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 2
               : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    return cached;
#else
    return 0;
#endif
}

#if defined(__x86_64__) && defined(__clang__)
#define DISPATCH(name, ...) (dd_cpu_level() == 2 ? name##_avx512(__VA_ARGS__) \
                             : dd_cpu_level() == 1 ? name##_avx2(__VA_ARGS__) : name##_base(__VA_ARGS__))
#else
#define DISPATCH(name, ...) name##_base(__VA_ARGS__)
#endif

void dd_unary(int op, const float *x, float *y, long n) { DISPATCH(unary, op, x, y, n); }
void dd_geglu(const float *h, const float *g, float *o, long n) { DISPATCH(geglu, h, g, o, n); }
void dd_affine(const float *x, float *y, long n, float scale, float shift, int silu) { DISPATCH(affine, x, y, n, scale, shift, silu); }
void dd_softmax(float *row, long n) { if (n > 0) DISPATCH(softmax, row, n); }
float dd_online_softmax(float *row, long n, float *m, float *l) { return n > 0 ? DISPATCH(online_softmax, row, n, m, l) : 1.0f; }

#if defined(__GLIBC__)
#include <malloc.h>
void dd_release_heap(void) { malloc_trim(0); }
#else
void dd_release_heap(void) {}
#endif
