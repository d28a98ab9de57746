/// Layout of a batched matrix product `C[i] = alpha * op(A[i]) * op(B[i]) + beta * C[i] (+ bias)`.
///
/// All matrices are row-major. `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`.
/// With `transposeA` the stored A is `k x m` (leading dimension `lda` ≥ m), otherwise `m x k` (`lda` ≥ k);
/// likewise for B. Matrix `i` of the batch starts at `offset + i * stride`; a stride of 0 reuses one matrix.
public struct GEMMDescriptor: Equatable, Sendable {
    /// Where a bias vector is added.
    public enum Bias: Sendable, Equatable { case none, perColumn, perRow }
    public var batch: Int, m: Int, n: Int, k: Int
    public var transposeA: Bool, transposeB: Bool
    public var lda: Int, ldb: Int, ldc: Int
    public var offsetA = 0, offsetB = 0, offsetC = 0
    public var strideA: Int, strideB: Int, strideC: Int
    public var alpha: Float = 1, beta: Float = 0
    public var bias: Bias = .none

    /// A dense batched product with packed matrices.
    public init(batch: Int = 1, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                broadcastA: Bool = false, broadcastB: Bool = false, alpha: Float = 1, beta: Float = 0,
                bias: Bias = .none) {
        self.batch = batch; self.m = m; self.n = n; self.k = k
        self.transposeA = transposeA; self.transposeB = transposeB
        lda = transposeA ? m : k; ldb = transposeB ? k : n; ldc = n
        strideA = broadcastA ? 0 : m * k; strideB = broadcastB ? 0 : k * n; strideC = m * n
        self.alpha = alpha; self.beta = beta; self.bias = bias
    }
    /// FLOPs of the product (2·m·n·k per matrix).
    public var flops: Double { 2 * Double(batch) * Double(m) * Double(n) * Double(k) }
}

/// Geometry of a 2-D convolution over NCHW data (dilation 1, groups 1).
public struct Conv2DDescriptor: Equatable, Sendable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
                padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
    }
    /// Output height: `(H + padTop + padBottom - kH) / strideH + 1`.
    public var outHeight: Int { (height + padTop + padBottom - kernelH) / strideH + 1 }
    /// Output width: `(W + padLeft + padRight - kW) / strideW + 1`.
    public var outWidth: Int { (width + padLeft + padRight - kernelW) / strideW + 1 }
    /// Direct-convolution FLOPs: 2 × output elements × input channels × kernel area.
    public var flops: Double {
        2 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernelH * kernelW)
    }
}

/// Multi-head attention over token-major layouts.
///
/// Q is read as `[batch, queryLength, heads * headDim]`, K and V as `[batch, keyLength, heads * headDim]`,
/// each with its own row stride (elements between consecutive tokens) and offset, so fused projections
/// can be used in place. The output is a packed `[batch, queryLength, heads * headDim]`.
/// With `causal`, query `i` sees keys `j ≤ i` (PyTorch's `is_causal`).
public struct AttentionDescriptor: Equatable, Sendable {
    public var batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDim: Int
    public var scale: Float
    public var causal: Bool
    public var qRowStride: Int, kRowStride: Int, vRowStride: Int
    public var qOffset = 0, kOffset = 0, vOffset = 0
    /// Allows bf16 products: a backend with bf16 arithmetic may round Q, K, the softmax weights and V to bf16
    /// for the two products (float32 accumulation and softmax); one without computes in float32. Models set it
    /// when their weights are bound as bf16 (``WeightPrecision/bf16``).
    public var bf16Products: Bool
    public init(batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDim: Int,
                scale: Float? = nil, causal: Bool = false, bf16Products: Bool = false) {
        self.batch = batch; self.heads = heads; self.queryLength = queryLength; self.keyLength = keyLength
        self.headDim = headDim; self.scale = scale ?? 1 / Float(headDim).squareRoot(); self.causal = causal
        self.bf16Products = bf16Products
        qRowStride = heads * headDim; kRowStride = heads * headDim; vRowStride = heads * headDim
    }
    /// FLOPs of the two products (4·B·H·Lq·Lk·D).
    public var flops: Double { 4 * Double(batch * heads) * Double(queryLength) * Double(keyLength) * Double(headDim) }
}

/// Group normalisation of `[batch, channels, spatial]`; `channels` is divisible by `groups`.
public struct GroupNormDescriptor: Equatable, Sendable {
    public var batch: Int, channels: Int, spatial: Int, groups: Int
    public var eps: Float
    public init(batch: Int, channels: Int, spatial: Int, groups: Int, eps: Float) {
        self.batch = batch; self.channels = channels; self.spatial = spatial; self.groups = groups
        self.eps = eps
    }
}

/// Elementwise functions.
public enum UnaryOp: String, CaseIterable, Sendable {
    /// `x * Φ(x)` with the exact normal CDF, `0.5 x (1 + erf(x/√2))` (PyTorch `gelu`).
    case gelu
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))` (PyTorch `gelu(approximate="tanh")`).
    case geluTanh
    /// `x * sigmoid(1.702 x)` (CLIP's `quick_gelu`).
    case quickGelu
    /// `x * sigmoid(x)`.
    case silu
    /// `max(x, 0)`.
    case relu
}

/// Binary elementwise operators.
public enum BinaryOp: String, CaseIterable, Sendable { case add, sub, mul, div }

/// Index map of a broadcasting binary operation; ranks are at most ``BinaryDescriptor/maxRank``.
public struct BinaryDescriptor: Equatable, Sendable {
    public static let maxRank = 6
    public var shape: [Int]
    public var aStrides: [Int], bStrides: [Int]
    public init(shape: [Int], aStrides: [Int], bStrides: [Int]) {
        self.shape = shape; self.aStrides = aStrides; self.bStrides = bStrides
    }
    public var count: Int { shape.reduce(1, *) }
}

/// A strided copy over `shape` (rank ≤ 6) between two buffers.
public struct CopyDescriptor: Equatable, Sendable {
    public var shape: [Int]
    public var srcStrides: [Int], dstStrides: [Int]
    public var srcOffset: Int, dstOffset: Int
    public init(shape: [Int], srcStrides: [Int], srcOffset: Int = 0, dstStrides: [Int], dstOffset: Int = 0) {
        self.shape = shape; self.srcStrides = srcStrides; self.dstStrides = dstStrides
        self.srcOffset = srcOffset; self.dstOffset = dstOffset
    }
    public var count: Int { shape.reduce(1, *) }
}

/// Interpolation of ``ComputeBackend/resize(_:input:output:)``; all follow PyTorch `F.interpolate`
/// with `antialias=False` and the scale taken as `in/out` (no `scale_factor` override).
public enum ResizeMode: Sendable, Equatable {
    /// `mode="nearest"`: source index `floor(dst * in / out)`.
    case nearest
    /// `mode="bilinear"`.
    case bilinear(alignCorners: Bool)
    /// `mode="bicubic"`: Keys cubic convolution with A = -0.75, taps clamped to the border.
    case bicubic(alignCorners: Bool)
}

/// Geometry of a resize of `planes` planes.
public struct ResizeDescriptor: Equatable, Sendable {
    public var planes: Int, inH: Int, inW: Int, outH: Int, outW: Int
    public var mode: ResizeMode
    public init(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, mode: ResizeMode) {
        self.planes = planes; self.inH = inH; self.inW = inW; self.outH = outH; self.outW = outW; self.mode = mode
    }
}

/// Geometry of 2-D max pooling over `planes` planes.
public struct Pool2DDescriptor: Equatable, Sendable {
    public var planes: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
    public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
    /// Value of padded positions; `nil` means they never win (PyTorch `MaxPool2d` padding).
    public var padValue: Float?
    public init(planes: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0, padValue: Float? = nil) {
        self.planes = planes; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
        self.padValue = padValue
    }
    public var outHeight: Int { (height + padTop + padBottom - kernelH) / strideH + 1 }
    public var outWidth: Int { (width + padLeft + padRight - kernelW) / strideW + 1 }
}

/// Parameters of diffusers' `get_timestep_embedding`:
/// `freq_j = exp(-ln(maxPeriod) * j / (half - downscaleFreqShift))`, `e = scale * t * freq`,
/// output `[sin(e), cos(e)]` (or `[cos, sin]` with `flipSinToCos`), zero-padded when `dim` is odd.
public struct TimestepEmbeddingDescriptor: Equatable, Sendable {
    public var dim: Int
    public var flipSinToCos: Bool
    public var downscaleFreqShift: Float
    public var scale: Float
    public var maxPeriod: Float
    public init(dim: Int, flipSinToCos: Bool, downscaleFreqShift: Float, scale: Float = 1, maxPeriod: Float = 10000) {
        self.dim = dim; self.flipSinToCos = flipSinToCos; self.downscaleFreqShift = downscaleFreqShift
        self.scale = scale; self.maxPeriod = maxPeriod
    }
}
