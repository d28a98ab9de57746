// OpenCL C 1.2 source: register-tiled GEMM and implicit-GEMM convolution.
//
// Each work-group computes a TSM x TSN tile of C with (TSN/WPTN) x (TSM/WPTM) work-items, each of which
// accumulates a WPTM x WPTN block in registers. K is walked in TSK-wide slices staged in local memory.
// The convolution is the same product with M = outC, N = batch·outH·outW, K = inC·kH·kW, where the B
// operand is gathered from the input on the fly (no im2col buffer in device memory).
// Tile sizes are preprocessor constants chosen per device by the host (OpenCLKernelLibrary).

extension OpenCLKernelSource {
    static let gemm = #"""
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)
#define THREADS (RTSM * RTSN)

// Once the slices are staged: multiply them into the register block, then wait until every work-item is
// done with them.
#define TILE_PRODUCT()                                                  \
    barrier(CLK_LOCAL_MEM_FENCE);                                       \
    for (int kk = 0; kk < TSK; kk++) {                                  \
        float a[WPTM], b[WPTN];                                         \
        for (int wm = 0; wm < WPTM; wm++) a[wm] = As[kk][tm + wm * RTSM]; \
        for (int wn = 0; wn < WPTN; wn++) b[wn] = Bs[kk][tn + wn * RTSN]; \
        for (int wm = 0; wm < WPTM; wm++)                               \
            for (int wn = 0; wn < WPTN; wn++)                           \
                acc[wm][wn] = fma(a[wm], b[wn], acc[wm][wn]);           \
    }                                                                   \
    barrier(CLK_LOCAL_MEM_FENCE);

__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void gemm(const int M, const int N, const int K, const int transA, const int transB,
          const int lda, const int ldb, const int ldc,
          __global const float* A, const int offA, const int strideA,
          __global const float* B, const int offB, const int strideB,
          __global float* C, const int offC, const int strideC,
          const float alpha, const float beta, __global const float* bias, const int biasMode) {
    const int tn = get_local_id(0), tm = get_local_id(1);
    const int n0 = get_group_id(0) * TSN, m0 = get_group_id(1) * TSM;
    const int batch = get_group_id(2);
    A += offA + batch * strideA;
    B += offB + batch * strideB;
    C += offC + batch * strideC;
    __local float As[TSK][TSM];
    __local float Bs[TSK][TSN];
    float acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; wm++) for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = 0.0f;
    const int tid = tm * RTSN + tn;
    for (int k0 = 0; k0 < K; k0 += TSK) {
        for (int l = tid; l < TSK * TSM; l += THREADS) {
            // Consecutive work-items read consecutive addresses in either layout.
            const int kk = transA ? l / TSM : l % TSK, mm = transA ? l % TSM : l / TSK;
            const int gm = m0 + mm, gk = k0 + kk;
            As[kk][mm] = (gm < M && gk < K) ? (transA ? A[gk * lda + gm] : A[gm * lda + gk]) : 0.0f;
        }
        for (int l = tid; l < TSK * TSN; l += THREADS) {
            const int kk = transB ? l % TSK : l / TSN, nn = transB ? l / TSK : l % TSN;
            const int gn = n0 + nn, gk = k0 + kk;
            Bs[kk][nn] = (gn < N && gk < K) ? (transB ? B[gn * ldb + gk] : B[gk * ldb + gn]) : 0.0f;
        }
        TILE_PRODUCT()
    }
    for (int wm = 0; wm < WPTM; wm++) {
        const int gm = m0 + tm + wm * RTSM;
        if (gm >= M) continue;
        for (int wn = 0; wn < WPTN; wn++) {
            const int gn = n0 + tn + wn * RTSN;
            if (gn >= N) continue;
            float v = alpha * acc[wm][wn];
            if (beta != 0.0f) v += beta * C[gm * ldc + gn];
            if (biasMode == 1) v += bias[gn];
            else if (biasMode == 2) v += bias[gm];
            C[gm * ldc + gn] = v;
        }
    }
}

__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void conv2d(__global const float* X, __global const float* W, __global const float* bias, const int hasBias,
            __global float* Y, const int batch, const int inC, const int H, const int Wd,
            const int outC, const int kH, const int kW, const int sH, const int sW,
            const int padT, const int padL, const int outH, const int outW) {
    const int M = outC, N = batch * outH * outW, K = inC * kH * kW;
    const int tn = get_local_id(0), tm = get_local_id(1);
    const int n0 = get_group_id(0) * TSN, m0 = get_group_id(1) * TSM;
    __local float As[TSK][TSM];
    __local float Bs[TSK][TSN];
    float acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; wm++) for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = 0.0f;
    const int tid = tm * RTSN + tn;
    const int spatial = outH * outW, taps = kH * kW;
    for (int k0 = 0; k0 < K; k0 += TSK) {
        for (int l = tid; l < TSK * TSM; l += THREADS) {
            const int kk = l % TSK, mm = l / TSK;
            const int gm = m0 + mm, gk = k0 + kk;
            As[kk][mm] = (gm < M && gk < K) ? W[gm * K + gk] : 0.0f;
        }
        for (int l = tid; l < TSK * TSN; l += THREADS) {
            const int kk = l / TSN, nn = l % TSN;
            const int gn = n0 + nn, gk = k0 + kk;
            float v = 0.0f;
            if (gn < N && gk < K) {
                const int img = gn / spatial, p = gn % spatial;
                const int ci = gk / taps, t = gk % taps;
                const int iy = (p / outW) * sH + t / kW - padT, ix = (p % outW) * sW + t % kW - padL;
                if (iy >= 0 && iy < H && ix >= 0 && ix < Wd) v = X[((img * inC + ci) * H + iy) * Wd + ix];
            }
            Bs[kk][nn] = v;
        }
        TILE_PRODUCT()
    }
    for (int wm = 0; wm < WPTM; wm++) {
        const int gm = m0 + tm + wm * RTSM;
        if (gm >= M) continue;
        const float b = hasBias ? bias[gm] : 0.0f;
        for (int wn = 0; wn < WPTN; wn++) {
            const int gn = n0 + tn + wn * RTSN;
            if (gn >= N) continue;
            const int img = gn / spatial, p = gn % spatial;
            Y[(img * outC + gm) * spatial + p] = acc[wm][wn] + b;
        }
    }
}
"""#
}
