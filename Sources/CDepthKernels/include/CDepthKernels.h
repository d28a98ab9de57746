#ifndef CDEPTHKERNELS_H
#define CDEPTHKERNELS_H
/// Transcendental-heavy float32 loops of the CPU backend, written in C so that the compiler can
/// vectorise them with AVX2/FMA where the processor has them (chosen once at run time) and with the
/// baseline instruction set elsewhere. Every function processes `n` contiguous elements.

/// y = f(x) for op 0 gelu (erf), 1 gelu (tanh), 2 quick-gelu, 3 silu, 4 relu.
void dd_unary(int op, const float *x, float *y, long n);
/// o[i] = h[i] * gelu(g[i]) (exact GELU).
void dd_geglu(const float *h, const float *g, float *o, long n);
/// y = x * scale + shift, then SiLU when `silu` is non-zero.
void dd_affine(const float *x, float *y, long n, float scale, float shift, int silu);
/// The widest instruction set the kernels may use on this CPU (checked once): 2 = AVX-512 (F + VL),
/// 1 = AVX2 + FMA, 0 = the baseline target.
int dd_cpu_level(void);

/// Returns the C heap's free memory to the operating system (glibc `malloc_trim(0)`; nothing elsewhere).
void dd_release_heap(void);
/// In-place max-subtracted softmax of one row.
void dd_softmax(float *row, long n);
/// One block of an online (flash-style) softmax row: with the running maximum `*m` (start at -INFINITY) and
/// sum `*l` (start at 0), replaces the `n` scores by exp(score - new maximum), updates both, and returns
/// exp(old maximum - new maximum), the factor by which the output accumulated so far must be scaled.
/// `n` = 0 changes nothing and returns 1.
float dd_online_softmax(float *row, long n, float *m, float *l);

/// Convolution patches, pixel-major (patches.c): for the pixels `j0 ..< j0 + count` of the batch's output grid
/// (pixel j: image j / (ho·wo), row (j % (ho·wo)) / wo, column j % wo) writes row `j - j0` of `out`, `cin·kh·kw`
/// values in `[ci][ky][kx]` order: the NCHW input `x` (`cin` x `h` x `w` per image) at row `oy·sh + ky − padTop`,
/// column `ox·sw + kx − padLeft`, 0 outside the input.
void dd_gather_patches(const float *x, long cin, long h, long w, long kh, long kw, long sh, long sw, long padTop,
                       long padLeft, long ho, long wo, long j0, long count, float *out);

/// Winograd F(4x4, 3x3) transforms (winograd.c).
/// `p`: one row of input tiles packed channel-fastest, `[6][wp][channels]` (zeros where the convolution pads);
/// writes `v[xi * xiStride + tx * channels + c]` for the 36 transformed positions `xi` of each of `tiles` tiles.
void dd_winograd_input(const float *p, float *v, long channels, long tiles, long wp, long xiStride);
/// From `m[xi * xiStride + tx * channels + c]` (the 36 products summed over input channels) writes `rows` x
/// (up to 4) outputs per tile into NCHW `y` (`plane` = outH·outW floats per channel) at output row `row0`,
/// adding `bias` (may be NULL); with `accumulate` set, each output is added to what `y` holds there.
void dd_winograd_output(const float *m, float *y, const float *bias, long channels, long tiles, long xiStride,
                        long plane, long wo, long rows, long row0, int accumulate);
/// `u[xi][cout][cin]` = G g Gᵀ of the `[cout][cin][3][3]` kernels of output channels `co0 ..< co1`, in double.
/// `scratch` holds `36 * dd_winograd_weights_scratch(cin)` floats of the caller's.
void dd_winograd_weights(const float *w, float *u, long cout, long cin, long co0, long co1, float *scratch);
/// Floats of `dd_winograd_weights`' scratch per transform row (36 rows): `cin` rounded up to a multiple of 8.
static inline long dd_winograd_weights_scratch(long cin) { return (cin + 7) & ~7L; }
/// Packs the six input rows `y0 ..< y0 + 6` of one NCHW image, columns `x0 ..< x0 + wp`, channel-fastest
/// into `p[6][wp][channels]`, with zeros outside the image (the convolution's padding). The stored image is
/// `sh x sw`; the convolution reads it upsampled (nearest) by `2^up` per side. With `scale` and `shift`
/// (per channel; NULL for none), each stored row first goes through `dd_affine(row, tmp, sw, scale[c],
/// shift[c], silu)` (`tmp` holds `sw` floats), exactly as a group normalisation (+ SiLU) would have written it.
void dd_winograd_pack(const float *x, float *p, long channels, long sh, long sw, int up, long y0, long x0, long wp,
                      const float *scale, const float *shift, int silu, float *tmp);

/// bf16 GEMM (bf16_gemm.c).
#include "CDepthKernelsBF16.h"
#endif
