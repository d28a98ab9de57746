import Foundation

/// Sizes that steer the CPU backend's kernel choices and scratch memory. Tests shrink them to reach every
/// code path on small shapes.
struct CPUTuning: Sendable {
    /// Largest im2col tile of a convolution, in floats (64 MiB).
    var im2colBudget = 16 << 20
    /// Columns per output tile of the shifted-GEMM convolution.
    var shiftedTileColumns = 4096
    /// Largest block of attention scores, in floats (1 MiB).
    var attentionScoreBudget = 1 << 18
    /// Keys per block of the flash-style attention, used when there are more than two blocks of keys.
    var attentionKeyBlock = 256
    /// Query rows per job of the flash-style attention.
    var attentionRowBlock = 64
    /// Products of fewer multiply-adds (2 FLOPs each) run as one single-threaded `sgemm` (about 0.1 ms).
    var gemmSplitMinimumFlops = 16e6
    /// Fewest rows (or columns) per block of a split product.
    var gemmMinimumBlock = 64
    /// Blocks per core of a split product: more balance the cores better, fewer repack the other operand less.
    var gemmBlocksPerWorker = 4
    /// Winograd F(4x4, 3x3) for stride-1 3x3 convolutions (on by default; `DEPTHDIFFUSION_WINOGRAD=0` turns it off).
    var winogradEnabled = ProcessInfo.processInfo.environment["DEPTHDIFFUSION_WINOGRAD"] != "0"
    /// Smallest output side that takes the Winograd path.
    var winogradMinimumSide = 24
    /// Fewest 4x4 output tiles (over the batch) that take the Winograd path: with fewer, the 36 products are too
    /// short for BLAS. DPT-Hybrid's 24x24 maps at batch 1 (36 tiles) ran 1.5-1.8x faster as shifted GEMMs; the
    /// UNet's 24x24 maps at batch 2 (72 tiles) ran within 5 % either way (AMD Zen 4, 2 cores).
    var winogradMinimumTiles = 64
    /// Largest transformed weight (36 · outC · inC floats) the Winograd path builds per call (128 MiB).
    var winogradWeightBudget = 32 << 20
    /// Transformed input plus products per chunk of tile rows, in floats (16 MiB each).
    var winogradTileBudget = 4 << 20
}
