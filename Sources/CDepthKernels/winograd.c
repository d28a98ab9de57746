// Winograd F(4x4, 3x3) convolution pieces for the CPU backend (stride 1, 3x3 kernels).
//
// Each 4x4 output tile comes from a 6x6 input tile: Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A (Lavin & Gray), so
// 36 multiplications per tile and channel pair replace 144. The element-wise products over channels are
// 36 GEMMs done by the caller; here are the transforms, vectorised across channels (channels are the
// fastest axis of the packed tiles, so every loop below runs over contiguous lanes).
#include "CDepthKernels.h"

#define LANES 16

// Bᵀ applied along one axis: six values with stride `s` in, six with stride `o` out, `n` lanes each.
#define BT(in, s, out, o, n)                                                                         \
    for (long l = 0; l < (n); l++) {                                                               \
        float d0 = (in)[0 * (s) + l], d1 = (in)[1 * (s) + l], d2 = (in)[2 * (s) + l];              \
        float d3 = (in)[3 * (s) + l], d4 = (in)[4 * (s) + l], d5 = (in)[5 * (s) + l];              \
        (out)[0 * (o) + l] = 4.0f * d0 - 5.0f * d2 + d4;                                           \
        (out)[1 * (o) + l] = -4.0f * (d1 + d2) + d3 + d4;                                          \
        (out)[2 * (o) + l] = 4.0f * (d1 - d2) - d3 + d4;                                           \
        (out)[3 * (o) + l] = -2.0f * (d1 - d3) - d2 + d4;                                          \
        (out)[4 * (o) + l] = 2.0f * (d1 - d3) - d2 + d4;                                           \
        (out)[5 * (o) + l] = 4.0f * d1 - 5.0f * d3 + d5;                                           \
    }

// Aᵀ applied along one axis: six values with stride `s` in, four with stride `o` out.
#define AT(in, s, out, o, n)                                                                         \
    for (long l = 0; l < (n); l++) {                                                               \
        float m0 = (in)[0 * (s) + l], m1 = (in)[1 * (s) + l], m2 = (in)[2 * (s) + l];              \
        float m3 = (in)[3 * (s) + l], m4 = (in)[4 * (s) + l], m5 = (in)[5 * (s) + l];              \
        float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;                                  \
        (out)[0 * (o) + l] = m0 + a + c;                                                           \
        (out)[1 * (o) + l] = b + 2.0f * d;                                                         \
        (out)[2 * (o) + l] = a + 4.0f * c;                                                         \
        (out)[3 * (o) + l] = b + 8.0f * d + m5;                                                    \
    }

#define DEFINE_WINOGRAD(suffix, attr)                                                                \
    attr static void input_##suffix(const float *p, float *v, long c, long tiles, long wp, long xiStride) { \
        float d[36 * LANES], t[36 * LANES];                                                        \
        for (long tx = 0; tx < tiles; tx++) {                                                      \
            for (long c0 = 0; c0 < c; c0 += LANES) {                                               \
                long n = c - c0 < LANES ? c - c0 : LANES;                                          \
                for (long i = 0; i < 6; i++)                                                       \
                    for (long j = 0; j < 6; j++) {                                                 \
                        const float *src = p + ((i * wp) + 4 * tx + j) * c + c0;                   \
                        for (long l = 0; l < n; l++) d[(i * 6 + j) * LANES + l] = src[l];          \
                    }                                                                              \
                for (long j = 0; j < 6; j++) BT(d + j * LANES, 6 * LANES, t + j * LANES, 6 * LANES, n) \
                for (long i = 0; i < 6; i++) BT(t + i * 6 * LANES, LANES, d + i * 6 * LANES, LANES, n) \
                for (long xi = 0; xi < 36; xi++) {                                                 \
                    float *dst = v + xi * xiStride + tx * c + c0;                                  \
                    for (long l = 0; l < n; l++) dst[l] = d[xi * LANES + l];                       \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    attr static void output_##suffix(const float *m, float *y, const float *bias, long c, long tiles, \
                                     long xiStride, long plane, long wo, long rows, long row0,     \
                                     int accumulate) {                                             \
        float s[36 * LANES], t[24 * LANES], o[16 * LANES];                                          \
        for (long tx = 0; tx < tiles; tx++) {                                                      \
            long cols = wo - 4 * tx < 4 ? wo - 4 * tx : 4;                                         \
            for (long c0 = 0; c0 < c; c0 += LANES) {                                               \
                long n = c - c0 < LANES ? c - c0 : LANES;                                          \
                for (long xi = 0; xi < 36; xi++) {                                                 \
                    const float *src = m + xi * xiStride + tx * c + c0;                            \
                    for (long l = 0; l < n; l++) s[xi * LANES + l] = src[l];                       \
                }                                                                                  \
                for (long j = 0; j < 6; j++) AT(s + j * LANES, 6 * LANES, t + j * LANES, 6 * LANES, n) \
                for (long i = 0; i < 4; i++) AT(t + i * 6 * LANES, LANES, o + i * 4 * LANES, LANES, n) \
                for (long l = 0; l < n; l++) {                                                     \
                    float b = bias ? bias[c0 + l] : 0.0f;                                          \
                    float *dst = y + (c0 + l) * plane + row0 * wo + 4 * tx;                        \
                    for (long r = 0; r < rows; r++)                                                \
                        for (long q = 0; q < cols; q++) {                                          \
                            float v = o[(r * 4 + q) * LANES + l] + b;                              \
                            dst[r * wo + q] = accumulate ? dst[r * wo + q] + v : v;                \
                        }                                                                          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

#if defined(__x86_64__) && defined(__clang__)
DEFINE_WINOGRAD(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))))
DEFINE_WINOGRAD(avx2, __attribute__((target("avx2,fma"))))
#endif
DEFINE_WINOGRAD(base, )


void dd_winograd_input(const float *p, float *v, long channels, long tiles, long wp, long xiStride) {
#if defined(__x86_64__) && defined(__clang__)
    if (dd_cpu_level() == 2) { input_avx512(p, v, channels, tiles, wp, xiStride); return; }
    if (dd_cpu_level() == 1) { input_avx2(p, v, channels, tiles, wp, xiStride); return; }
#endif
    input_base(p, v, channels, tiles, wp, xiStride);
}

void dd_winograd_output(const float *m, float *y, const float *bias, long channels, long tiles, long xiStride,
                        long plane, long wo, long rows, long row0, int accumulate) {
#if defined(__x86_64__) && defined(__clang__)
    if (dd_cpu_level() == 2) {
        output_avx512(m, y, bias, channels, tiles, xiStride, plane, wo, rows, row0, accumulate);
        return;
    }
    if (dd_cpu_level() == 1) {
        output_avx2(m, y, bias, channels, tiles, xiStride, plane, wo, rows, row0, accumulate);
        return;
    }
#endif
    output_base(m, y, bias, channels, tiles, xiStride, plane, wo, rows, row0, accumulate);
}

void dd_winograd_pack(const float *x, float *p, long channels, long sh, long sw, int up, long y0, long x0, long wp,
                      const float *scale, const float *shift, int silu, float *tmp) {
    const long h = sh << up, w = sw << up;
    for (long i = 0; i < 6; i++) {
        const long iy = y0 + i;
        const int inside = iy >= 0 && iy < h;
        for (long c = 0; c < channels; c++) {
            const float *row = inside ? x + (c * sh + (iy >> up)) * sw : 0;
            if (row && scale) { dd_affine(row, tmp, sw, scale[c], shift[c], silu); row = tmp; }
            for (long j = 0; j < wp; j++) {
                const long ix = x0 + j;
                p[(i * wp + j) * channels + c] = row && ix >= 0 && ix < w ? row[ix >> up] : 0.0f;
            }
        }
    }
}

// G g Gᵀ in double precision (rounded once to float), eight input channels per vector. Each output channel's 36
// rows are built in `row` and then copied out whole: writing them straight into `u` sends 36 interleaved
// streams `cout · cin` floats apart, which alias in the cache when that stride is a multiple of 4 KiB (15x
// slower at 640 channels). No contraction into FMAs, so the values are the same on every instruction set.
typedef double dd_double8 __attribute__((ext_vector_type(8)));
typedef float dd_float8 __attribute__((ext_vector_type(8)));

#define DEFINE_WEIGHTS(suffix, attr)                                                                 \
    attr static void weights_##suffix(const float *w, float *u, long cout, long cin, long co0, long co1, \
                                      float *row) {                                                \
        _Pragma("STDC FP_CONTRACT OFF")                                                            \
        static const double g[6][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6},                 \
                                       {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},  \
                                       {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};                   \
        const long stride = (cin + 7) & ~7L;                                                       \
        for (long co = co0; co < co1; co++) {                                                      \
            for (long c0 = 0; c0 < cin; c0 += 8) {                                                 \
                const long n = cin - c0 < 8 ? cin - c0 : 8;                                        \
                const float *src = w + (co * cin + c0) * 9;                                        \
                dd_double8 k[9], t[6][3];                                                          \
                for (int tap = 0; tap < 9; tap++)                                                  \
                    for (int l = 0; l < 8; l++) k[tap][l] = l < n ? src[l * 9 + tap] : 0.0;        \
                for (int i = 0; i < 6; i++)                                                        \
                    for (int j = 0; j < 3; j++) t[i][j] = g[i][0] * k[j] + g[i][1] * k[3 + j] + g[i][2] * k[6 + j]; \
                for (int i = 0; i < 6; i++)                                                        \
                    for (int j = 0; j < 6; j++) {                                                  \
                        dd_float8 r = __builtin_convertvector(                                     \
                            t[i][0] * g[j][0] + t[i][1] * g[j][1] + t[i][2] * g[j][2], dd_float8);  \
                        __builtin_memcpy(row + (i * 6 + j) * stride + c0, &r, sizeof r);           \
                    }                                                                              \
            }                                                                                      \
            for (long xi = 0; xi < 36; xi++)                                                       \
                __builtin_memcpy(u + (xi * cout + co) * cin, row + xi * stride, cin * sizeof(float)); \
        }                                                                                          \
    }

#if defined(__x86_64__) && defined(__clang__)
DEFINE_WEIGHTS(avx512, __attribute__((target("avx512f,avx512vl,avx2"))))
DEFINE_WEIGHTS(avx2, __attribute__((target("avx2"))))
#endif
DEFINE_WEIGHTS(base, )

void dd_winograd_weights(const float *w, float *u, long cout, long cin, long co0, long co1, float *scratch) {
#if defined(__x86_64__) && defined(__clang__)
    if (dd_cpu_level() == 2) { weights_avx512(w, u, cout, cin, co0, co1, scratch); return; }
    if (dd_cpu_level() == 1) { weights_avx2(w, u, cout, cin, co0, co1, scratch); return; }
#endif
    weights_base(w, u, cout, cin, co0, co1, scratch);
}
