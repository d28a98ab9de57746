// OpenCL C 1.2 source: elementwise maps, broadcasting binary operations, strided copies, gathers,
// timestep embeddings and spatial resampling / pooling. One work-item per output element.

extension OpenCLKernelSource {
    static let elementwise = #"""
// Numerical Recipes' erfc fit (relative error < 1.2e-7), as on the CPU backend.
float erfc_nr(float z) {
    const float a = fabs(z), t = 1.0f / (1.0f + 0.5f * a);
    float p = 0.17087277f;
    p = fma(p, t, -0.82215223f); p = fma(p, t, 1.48851587f); p = fma(p, t, -1.13520398f);
    p = fma(p, t, 0.27886807f); p = fma(p, t, -0.18628806f); p = fma(p, t, 0.09678418f);
    p = fma(p, t, 0.37409196f); p = fma(p, t, 1.00002368f); p = fma(p, t, -1.26551223f);
    const float r = t * exp(p - a * a);
    return z < 0.0f ? 2.0f - r : r;
}

float gelu_erf(float x) { return 0.5f * x * erfc_nr(-0.70710678118654752f * x); }

// geluTanh uses tanh(y) = 1 - 2 / (e^{2y} + 1), exact in both tails, as on the CPU backend.
float apply_unary(int op, float x) {
    switch (op) {
    case 0: return gelu_erf(x);
    case 1: return 0.5f * x * (2.0f - 2.0f / (exp(2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x)) + 1.0f));
    case 2: return x / (1.0f + exp(-1.702f * x));
    case 3: return x / (1.0f + exp(-x));
    default: return fmax(x, 0.0f);
    }
}

__kernel void unary(__global const float* X, __global float* Y, const int n, const int op) {
    const int i = get_global_id(0);
    if (i < n) Y[i] = apply_unary(op, X[i]);
}

// 16-bit weights (fp16 through vload_half, bf16 as the upper half of a float32) widened to float32.
__kernel void widen16(__global const ushort* W, __global float* Y, const int n, const int bf16) {
    const int i = get_global_id(0);
    if (i >= n) return;
    Y[i] = bf16 ? as_float(((uint)W[i]) << 16) : vload_half(i, (__global const half*)W);
}

__kernel void geglu(__global const float* X, __global float* Y, const int rows, const int cols) {
    const int i = get_global_id(0);
    if (i >= rows * cols) return;
    const int r = i / cols, c = i % cols;
    Y[i] = X[r * 2 * cols + c] * gelu_erf(X[r * 2 * cols + cols + c]);
}

__kernel void affine(__global const float* X, __global float* Y, const int n, const float scale, const float shift) {
    const int i = get_global_id(0);
    if (i < n) Y[i] = fma(X[i], scale, shift);
}

// Up to six dimensions: sizes, then strides of the two operands.
typedef struct { int n[6]; int sa[6]; int sb[6]; int offA; int offB; } index_map;

// The offsets of element `i` (row-major over `n`) in the two operands.
int2 map_index(const index_map m, int i) {
    int2 off = (int2)(m.offA, m.offB);
    for (int d = 5; d >= 0; d--) {
        const int idx = i % m.n[d];
        i /= m.n[d];
        off += (int2)(idx * m.sa[d], idx * m.sb[d]);
    }
    return off;
}

__kernel void binary(__global const float* A, __global const float* B, __global float* Y, const int count,
                     const int op, const index_map m) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int2 off = map_index(m, i);
    const float a = A[off.x], b = B[off.y];
    Y[i] = op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : a / b;
}

// Strided copy: `sa` are source strides, `sb` destination strides.
__kernel void strided_copy(__global const float* S, __global float* D, const int count, const index_map m) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int2 off = map_index(m, i);
    D[off.y] = S[off.x];
}

__kernel void gather_rows(__global const float* T, __global const int* ids, __global float* Y, const int n, const int dim) {
    const int i = get_global_id(0);
    if (i < n * dim) Y[i] = T[ids[i / dim] * dim + i % dim];
}

__kernel void timestep_embedding(__global const float* t, __global float* Y, const int count, const int dim,
                                 const int flip, const float shift, const float scale, const float logMaxPeriod) {
    const int i = get_global_id(0);
    if (i >= count * dim) return;
    const int row = i / dim, col = i % dim, halfDim = dim / 2;
    if (col >= 2 * halfDim) { Y[i] = 0.0f; return; }
    const int j = col % halfDim;
    const float freq = exp(-logMaxPeriod * (float)j / ((float)halfDim - shift));
    const float e = scale * (t[row] * freq);
    const bool firstHalf = col < halfDim;
    Y[i] = (firstHalf != (flip != 0)) ? sin(e) : cos(e);
}

float source_coord(int dst, int inSize, int outSize, int alignCorners, int cubic) {
    if (alignCorners) return outSize > 1 ? (float)(inSize - 1) / (float)(outSize - 1) * (float)dst : 0.0f;
    const float src = (float)inSize / (float)outSize * ((float)dst + 0.5f) - 0.5f;
    return (!cubic && src < 0.0f) ? 0.0f : src;
}

float cubic_near(float t) { return ((1.25f * t - 2.25f) * t) * t + 1.0f; }
float cubic_far(float t) { return ((-0.75f * t + 3.75f) * t - 6.0f) * t + 3.0f; }

// mode 0 nearest, 1 bilinear, 2 bicubic (A = -0.75, clamped taps).
__kernel void resize2d(__global const float* X, __global float* Y, const int planes, const int inH, const int inW,
                       const int outH, const int outW, const int mode, const int alignCorners) {
    const int i = get_global_id(0);
    if (i >= planes * outH * outW) return;
    const int ox = i % outW, oy = (i / outW) % outH, p = i / (outW * outH);
    __global const float* x = X + (long)p * inH * inW;
    if (mode == 0) {
        const int iy = min((int)floor((float)oy * ((float)inH / (float)outH)), inH - 1);
        const int ix = min((int)floor((float)ox * ((float)inW / (float)outW)), inW - 1);
        Y[i] = x[iy * inW + ix];
    } else if (mode == 1) {
        const float sy = source_coord(oy, inH, outH, alignCorners, 0), sx = source_coord(ox, inW, outW, alignCorners, 0);
        const int y0 = min((int)sy, inH - 1), x0 = min((int)sx, inW - 1);
        const int y1 = y0 + (y0 < inH - 1 ? 1 : 0), x1 = x0 + (x0 < inW - 1 ? 1 : 0);
        const float ly = sy - (float)y0, lx = sx - (float)x0;
        Y[i] = (1.0f - ly) * ((1.0f - lx) * x[y0 * inW + x0] + lx * x[y0 * inW + x1])
             + ly * ((1.0f - lx) * x[y1 * inW + x0] + lx * x[y1 * inW + x1]);
    } else {
        const float sy = source_coord(oy, inH, outH, alignCorners, 1), sx = source_coord(ox, inW, outW, alignCorners, 1);
        const int y0 = (int)floor(sy), x0 = (int)floor(sx);
        const float ty = sy - (float)y0, tx = sx - (float)x0;
        const float wy[4] = { cubic_far(ty + 1.0f), cubic_near(ty), cubic_near(1.0f - ty), cubic_far(2.0f - ty) };
        const float wx[4] = { cubic_far(tx + 1.0f), cubic_near(tx), cubic_near(1.0f - tx), cubic_far(2.0f - tx) };
        float acc = 0.0f;
        for (int a = 0; a < 4; a++) {
            const int yy = clamp(y0 - 1 + a, 0, inH - 1);
            float r = 0.0f;
            for (int b = 0; b < 4; b++) r += wx[b] * x[yy * inW + clamp(x0 - 1 + b, 0, inW - 1)];
            acc += wy[a] * r;
        }
        Y[i] = acc;
    }
}

__kernel void max_pool2d(__global const float* X, __global float* Y, const int planes, const int H, const int W,
                         const int kH, const int kW, const int sH, const int sW, const int padT, const int padL,
                         const int outH, const int outW, const int usePad, const float padValue) {
    const int i = get_global_id(0);
    if (i >= planes * outH * outW) return;
    const int ox = i % outW, oy = (i / outW) % outH, p = i / (outW * outH);
    float m = -INFINITY;
    for (int ky = 0; ky < kH; ky++) {
        const int iy = oy * sH + ky - padT;
        for (int kx = 0; kx < kW; kx++) {
            const int ix = ox * sW + kx - padL;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = fmax(m, X[((long)p * H + iy) * W + ix]);
            else if (usePad) m = fmax(m, padValue);
        }
    }
    Y[i] = m;
}
"""#
}
