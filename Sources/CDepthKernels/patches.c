// Pixel-major patch gathering for convolutions whose products read the weight as stored (the CPU backend's
// bf16 convolutions): one row of `cin·kh·kw` values per output pixel, in the weight's `[cin][kh][kw]` order.
#include "CDepthKernels.h"

void dd_gather_patches(const float *x, long cin, long h, long w, long kh, long kw, long sh, long sw, long padTop,
                       long padLeft, long ho, long wo, long j0, long count, float *out) {
    const long k = cin * kh * kw, spatial = ho * wo, plane = h * w;
    for (long jj = 0; jj < count; jj++) {
        const long j = j0 + jj, image = j / spatial, oy = (j % spatial) / wo, ox = j % wo;
        const long iy0 = oy * sh - padTop, ix0 = ox * sw - padLeft;
        // Whether the kernel's columns all fall inside the input row (then rows copy without checks).
        const int inside = ix0 >= 0 && ix0 + kw <= w;
        const float *source = x + image * cin * plane;
        float *dst = out + jj * k;
        for (long ci = 0; ci < cin; ci++) {
            const float *channel = source + ci * plane;
            for (long ky = 0; ky < kh; ky++, dst += kw) {
                const long iy = iy0 + ky;
                if (iy < 0 || iy >= h) {
                    for (long kx = 0; kx < kw; kx++) dst[kx] = 0;
                } else if (inside) {
                    const float *row = channel + iy * w + ix0;
                    if (kw == 3) {
                        dst[0] = row[0];
                        dst[1] = row[1];
                        dst[2] = row[2];
                    } else {
                        for (long kx = 0; kx < kw; kx++) dst[kx] = row[kx];
                    }
                } else {
                    const float *row = channel + iy * w;
                    for (long kx = 0; kx < kw; kx++) {
                        const long ix = ix0 + kx;
                        dst[kx] = ix >= 0 && ix < w ? row[ix] : 0;
                    }
                }
            }
        }
    }
}
