// OpenCL C 1.2 source: attention in key blocks with an online softmax (flash-attention style).
//
// Compiled once per head size (HEAD_DIM) with a key-tile length (KEY_TILE) that fits local memory.
// A work-group holds consecutive queries of one (batch, head); each work-item keeps its query and its
// output accumulator in registers, and the group stages KEY_TILE keys and values at a time in local
// memory. The running maximum and sum give an exact softmax without a score matrix.

extension OpenCLKernelSource {
    static let attention = #"""
__kernel void attention(__global const float* Q, const int qOff, const int qStride,
                        __global const float* K, const int kOff, const int kStride,
                        __global const float* V, const int vOff, const int vStride,
                        __global float* O, const int Lq, const int Lk, const int heads,
                        const float scale, const int causal) {
    const int i = get_global_id(0);
    const int bh = get_global_id(1), b = bh / heads, h = bh % heads;
    const int lid = get_local_id(0), lsz = get_local_size(0);
    __local float Ks[KEY_TILE][HEAD_DIM];
    __local float Vs[KEY_TILE][HEAD_DIM];
    const bool active = i < Lq;
    float q[HEAD_DIM], acc[HEAD_DIM];
    for (int d = 0; d < HEAD_DIM; d++) {
        q[d] = active ? Q[qOff + (b * Lq + i) * qStride + h * HEAD_DIM + d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    // Keys any query of this group can see (uniform across the group, so barriers stay aligned).
    const int lastQuery = min((int)(get_group_id(0) + 1) * lsz, Lq) - 1;
    const int kEnd = causal ? min(Lk, lastQuery + 1) : Lk;
    for (int j0 = 0; j0 < kEnd; j0 += KEY_TILE) {
        for (int e = lid; e < KEY_TILE * HEAD_DIM; e += lsz) {
            const int jj = e / HEAD_DIM, d = e % HEAD_DIM, j = j0 + jj;
            Ks[jj][d] = j < Lk ? K[kOff + (b * Lk + j) * kStride + h * HEAD_DIM + d] : 0.0f;
            Vs[jj][d] = j < Lk ? V[vOff + (b * Lk + j) * vStride + h * HEAD_DIM + d] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            for (int jj = 0; jj < KEY_TILE; jj++) {
                const int j = j0 + jj;
                if (j >= Lk || (causal && j > i)) break;
                float s = 0.0f;
                for (int d = 0; d < HEAD_DIM; d++) s = fma(q[d], Ks[jj][d], s);
                const float mNew = fmax(m, s);
                const float c = exp(m - mNew), p = exp(s - mNew);
                l = l * c + p;
                for (int d = 0; d < HEAD_DIM; d++) acc[d] = fma(p, Vs[jj][d], acc[d] * c);
                m = mNew;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (active) {
        const float inv = 1.0f / l;
        for (int d = 0; d < HEAD_DIM; d++) O[(b * Lq + i) * heads * HEAD_DIM + h * HEAD_DIM + d] = acc[d] * inv;
    }
}
"""#
}
