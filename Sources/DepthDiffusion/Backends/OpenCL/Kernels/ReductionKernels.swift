// OpenCL C 1.2 source: normalisation and min/max as work-group reductions.
// Each work-group (REDUCE_WG work-items) owns one row or one (batch, group) slice; statistics use
// two passes (mean, then squared deviations) like the CPU backend.

extension OpenCLKernelSource {
    static let reductions = #"""
// Tree reduction of one value per work-item; every work-item gets the result.
float wg_sum(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = REDUCE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float wg_max(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = REDUCE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float wg_min(float v, __local float* scratch) { return -wg_max(-v, scratch); }

// Mean and reciprocal standard deviation (biased variance, two passes) of n values, shared by the group.
float2 wg_mean_rstd(__global const float* x, const int n, const float eps, __local float* scratch) {
    const int lid = get_local_id(0);
    float s = 0.0f;
    for (int i = lid; i < n; i += REDUCE_WG) s += x[i];
    const float mean = wg_sum(s, scratch) / n;
    float q = 0.0f;
    for (int i = lid; i < n; i += REDUCE_WG) { const float d = x[i] - mean; q = fma(d, d, q); }
    return (float2)(mean, rsqrt(wg_sum(q, scratch) / n + eps));
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void group_norm(__global const float* X, __global float* Y, __global const float* gamma, const int hasGamma,
                __global const float* beta, const int hasBeta, const int C, const int S, const int G,
                const float eps, const int silu) {
    __local float scratch[REDUCE_WG];
    const int ng = get_group_id(0), g = ng % G, lid = get_local_id(0);
    const int cpg = C / G, size = cpg * S;
    __global const float* x = X + (long)ng * size;
    __global float* y = Y + (long)ng * size;
    const float2 stats = wg_mean_rstd(x, size, eps, scratch);
    const float mean = stats.x, rstd = stats.y;
    for (int i = lid; i < size; i += REDUCE_WG) {
        const int c = g * cpg + i / S;
        float v = (x[i] - mean) * rstd * (hasGamma ? gamma[c] : 1.0f) + (hasBeta ? beta[c] : 0.0f);
        if (silu) v = v / (1.0f + exp(-v));
        y[i] = v;
    }
}

// Layer norm with optional affine (without it, row standardisation): normalise each row of `cols`.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void row_norm(__global const float* X, __global float* Y, __global const float* gamma, const int hasGamma,
              __global const float* beta, const int hasBeta, const int cols, const float eps) {
    __local float scratch[REDUCE_WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = X + (long)r * cols;
    __global float* y = Y + (long)r * cols;
    const float2 stats = wg_mean_rstd(x, cols, eps, scratch);
    const float mean = stats.x, rstd = stats.y;
    for (int i = lid; i < cols; i += REDUCE_WG)
        y[i] = (x[i] - mean) * rstd * (hasGamma ? gamma[i] : 1.0f) + (hasBeta ? beta[i] : 0.0f);
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void min_max_rows(__global const float* X, __global float* lo, __global float* hi, const int cols) {
    __local float scratch[REDUCE_WG];
    const int r = get_group_id(0), lid = get_local_id(0);
    __global const float* x = X + (long)r * cols;
    float mn = INFINITY, mx = -INFINITY;
    for (int i = lid; i < cols; i += REDUCE_WG) { mn = fmin(mn, x[i]); mx = fmax(mx, x[i]); }
    mn = wg_min(mn, scratch);
    mx = wg_max(mx, scratch);
    if (lid == 0) { lo[r] = mn; hi[r] = mx; }
}
"""#
}
