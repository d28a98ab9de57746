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
/// In-place max-subtracted softmax of one row.
void dd_softmax(float *row, long n);
#endif
