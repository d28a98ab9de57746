#!/usr/bin/env python3
"""Relative error of one 3x3 convolution computed with bf16 products, directly and by Winograd.

Why this exists: the CPU backend's `.bf16` precision keeps the stride-1 3x3 convolutions of the UNet's 64x64 and
32x32 levels on the float32 Winograd F(4x4, 3x3) path. This script measures what bf16 products would cost in
accuracy there, on random data (NumPy only, float64 reference):

* direct, weights only: the weight rounded to bf16, float32-exact products (what `.bf16` does on the Winograd
  path today, and everywhere on CPUs without AVX512-BF16);
* direct, both: weight and input rounded to bf16 (what `vdpbf16ps` computes in linear layers and the other
  convolutions);
* Winograd F(2x2, 3x3) and F(4x4, 3x3) (points 0, +-1, +-2) with the transformed weight U and the transformed
  input V rounded to bf16, the transforms themselves exact. (With `.bf16` the weight is already bf16 before
  its transform, so U would be rounded twice: the engine's error would be a little larger than these.)

The whole-UNet errors these per-convolution figures are compared with come from
`depth-bench unet --precision bf16 --compare-fp32` (DOCS, *Precision and memory*).

Run: `python3 Scripts/analysis/winograd_bf16_error.py` (any Python with NumPy; about a minute).
"""
import numpy as np


def bf16(x):
    """Round to the nearest bfloat16 (ties to even), returned as float64."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def direct(x, w, size):
    """Valid 3x3 correlation of the padded input x [C, size+2, size+2] with w [K, C, 3, 3]."""
    out = np.zeros((w.shape[0], size, size))
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("kc,chw->khw", w[:, :, ky, kx], x[:, ky:ky + size, kx:kx + size])
    return out


# Winograd matrices: output transform A^T, weight transform G, input transform B^T.
F2 = (np.array([[1, 1, 1, 0], [0, 1, -1, -1]], float),
      np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]),
      np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], float))
F4 = (np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], float),
      np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]),
      np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], float))


def winograd(x, w, size, matrices, round_products):
    at, g, bt = matrices
    m, t = at.shape  # outputs per tile side, transformed tile side
    u = np.einsum("ij,kcjl,ml->kcim", g, w, g)
    if round_products:
        u = bf16(u)
    out = np.zeros((w.shape[0], size, size))
    for ty in range(size // m):
        for tx in range(size // m):
            d = x[:, m * ty:m * ty + t, m * tx:m * tx + t]
            v = np.einsum("ij,cjl,ml->cim", bt, d, bt)
            if round_products:
                v = bf16(v)
            product = np.einsum("kcim,cim->kim", u, v)
            out[:, m * ty:m * ty + m, m * tx:m * tx + m] = np.einsum("ij,kjl,ml->kim", at, product, at)
    return out


def main():
    print(f"{'channels':>8} {'map':>5} {'seed':>4}  {'direct w':>9} {'direct w+x':>10} {'F(2x2)':>9} {'F(4x4)':>9}")
    totals = np.zeros(4)
    cases = [(c, s, seed) for c, s in ((320, 16), (640, 8)) for seed in (0, 1)]
    for channels, size, seed in cases:
        rng = np.random.default_rng(seed)
        x = np.zeros((channels, size + 2, size + 2))
        x[:, 1:-1, 1:-1] = rng.standard_normal((channels, size, size))
        w = rng.standard_normal((64, channels, 3, 3)) / np.sqrt(9 * channels)
        x, w = x.astype(np.float32).astype(np.float64), w.astype(np.float32).astype(np.float64)
        ref = direct(x, w, size)
        rel = lambda y: np.linalg.norm(y - ref) / np.linalg.norm(ref)
        errors = [rel(direct(x, bf16(w), size)), rel(direct(bf16(x), bf16(w), size)),
                  rel(winograd(x, w, size, F2, True)), rel(winograd(x, w, size, F4, True))]
        totals += errors
        print(f"{channels:>8} {size:>5} {seed:>4}  " + " ".join(f"{e:>9.2e}" for e in errors))
    mean = totals / len(cases)
    print(f"{'mean':>20}  " + " ".join(f"{e:>9.2e}" for e in mean))
    base = mean[0]
    print("error added by the products (quadrature, beyond the weight's own rounding), relative to direct w+x:")
    added = np.sqrt(np.maximum(mean ** 2 - base ** 2, 0))
    print(f"  direct w+x 1.00, F(2x2) {added[2] / added[1]:.2f}, F(4x4) {added[3] / added[1]:.2f}")


if __name__ == "__main__":
    main()
