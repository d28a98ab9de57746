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
    /// Winograd F(4x4, 3x3) for stride-1 3x3 convolutions (on by default; `DEPTHDIFFUSION_WINOGRAD=0` turns it off).
    var winogradEnabled = ProcessInfo.processInfo.environment["DEPTHDIFFUSION_WINOGRAD"] != "0"
    /// Smallest output side that takes the Winograd path.
    var winogradMinimumSide = 24
    /// Largest transformed weight (36 · outC · inC floats) the Winograd path builds per call (128 MiB).
    var winogradWeightBudget = 32 << 20
    /// Transformed input plus products per chunk of tile rows, in floats (32 MiB each).
    var winogradTileBudget = 8 << 20
}
