// Tensor-level convolution and pooling.

/// Zero padding on each side of a 2-D convolution or pooling window.
public struct Padding2D: Equatable, Sendable {
    public var top: Int, bottom: Int, left: Int, right: Int
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    /// The same padding on every side.
    public static func uniform(_ p: Int) -> Padding2D { Padding2D(top: p, bottom: p, left: p, right: p) }
    public static let zero = Padding2D.uniform(0)
}

extension ComputeBackend {
    /// PyTorch `conv2d` of an NCHW input with an `[outC, inC, kH, kW]` weight (dilation 1, groups 1). A 16-bit
    /// `weight` (``Tensor/storage``) runs on ``ComputeBackend/conv2d16(_:input:weight:bias:output:)``.
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                       padding: Padding2D = .zero) throws -> Tensor {
        let d = try convolutionDescriptor(x.shape, x, weight: weight, bias: bias, stride: stride, padding: padding)
        let out = try Tensor(uninitializedShape: [d.batch, d.outChannels, d.outHeight, d.outWidth], on: self)
        guard out.count > 0 else { return out }
        if weight.storage == .fp32 {
            try conv2d(d, input: x.buffer, weight: weight.buffer, bias: bias?.buffer, output: out.buffer)
        } else {
            try conv2d16(d, input: x.buffer, weight: weight.buffer, bias: bias?.buffer, output: out.buffer)
        }
        return out
    }

    /// ``conv2d(_:weight:bias:stride:padding:)`` of `x` transformed as `input` says (upsampled, or group-normalised).
    ///
    /// A backend that claims ``BackendCapability/convolutionPrologue`` applies the transformation as the
    /// convolution reads its input, so the transformed input (often the largest tensor of a VAE decoder) is
    /// never stored; any other backend computes it into a tensor first. Both give the same values.
    ///
    /// With `residual` (the output's shape), the result is `residual + convolution`, the value of
    /// ``add(_:_:)``. The residual is consumed: on a backend that claims the capability, when no other tensor
    /// shares its buffer, the convolution adds its results to it in place instead of holding a third tensor.
    public func conv2d(_ x: Tensor, input: ConvolutionInput, weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1),
                       padding: Padding2D = .zero, adding residual: consuming Tensor? = nil) throws -> Tensor {
        guard supports(.convolutionPrologue) else {
            let transformed: Tensor
            switch input {
            case .upsampledNearest2x:
                transformed = try upsampleNearest2x(x)
            case let .groupNorm(groups, gamma, beta, eps, silu):
                transformed = try groupNorm(x, groups: groups, gamma: gamma, beta: beta, eps: eps, silu: silu)
            }
            let out = try conv2d(transformed, weight: weight, bias: bias, stride: stride, padding: padding)
            guard let residual else { return out }
            try checkResidual(residual, shape: out.shape)
            return try add(residual, out)
        }
        let prologue: ConvolutionPrologue, seen: [Int]
        switch input {
        case .upsampledNearest2x:
            guard x.rank == 4 else {
                throw TensorError.invalidArgument(operation: "conv2d", detail: "upsampling needs an NCHW input, got \(x.shape)")
            }
            prologue = .upsampleNearest2x
            seen = [x.shape[0], x.shape[1], 2 * x.shape[2], 2 * x.shape[3]]
        case let .groupNorm(groups, gamma, beta, eps, silu):
            try requireOwned("conv2d", gamma, beta)
            let gn = try groupNormDescriptor(x, groups: groups, gamma: gamma, beta: beta, eps: eps)
            prologue = .groupNorm(gn, gamma: gamma?.buffer, beta: beta?.buffer, silu: silu)
            seen = x.shape
        }
        let d = try convolutionDescriptor(seen, x, weight: weight, bias: bias, stride: stride, padding: padding)
        let shape = [d.batch, d.outChannels, d.outHeight, d.outWidth]
        var target: DeviceBuffer?
        if let r = residual {
            try checkResidual(r, shape: shape)
            target = r.buffer
        }
        residual = nil
        if var buffer = target.take() {
            if isKnownUniquelyReferenced(&buffer) {
                if shape.reduce(1, *) > 0 {
                    try conv2d(d, input: x.buffer, prologue: prologue, weight: weight.buffer, bias: bias?.buffer,
                               output: buffer, accumulate: true)
                }
                return try Tensor(shape: shape, buffer: buffer, backend: self)
            }
            target = buffer
        }
        let out = try Tensor(uninitializedShape: shape, on: self)
        guard out.count > 0 else { return out }
        try conv2d(d, input: x.buffer, prologue: prologue, weight: weight.buffer, bias: bias?.buffer, output: out.buffer,
                   accumulate: false)
        guard let target else { return out }
        return try add(Tensor(shape: shape, buffer: target, backend: self), out)
    }

    /// A 1x1 convolution (stride 1, no padding) of `x`, which it consumes: on a backend that claims
    /// ``BackendCapability/inPlaceProjection``, when the weight has no more output than input channels and no other
    /// tensor shares `x`'s buffer, the result is written over `x` (``conv2dInPlace(_:buffer:weight:bias:)``), so
    /// the two are never both held. Otherwise, or on other backends, it is
    /// ``conv2d(_:weight:bias:stride:padding:)``. The values are the same either way.
    public func conv2d(overwriting x: consuming Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        let d = try convolutionDescriptor(x.shape, x, weight: weight, bias: bias, stride: (1, 1), padding: .zero)
        guard d.kernelH == 1, d.kernelW == 1 else {
            throw TensorError.shapeMismatch(operation: "conv2d(overwriting:)", detail: "weight \(weight.shape) is not 1x1")
        }
        let shape = x.shape
        var buffer = x.buffer
        _ = consume x
        guard supports(.inPlaceProjection), d.outChannels <= d.inChannels, d.batch * d.inChannels * d.height * d.width > 0,
              isKnownUniquelyReferenced(&buffer) else {
            return try conv2d(Tensor(shape: shape, buffer: buffer, backend: self), weight: weight, bias: bias)
        }
        try conv2dInPlace(d, buffer: buffer, weight: weight.buffer, bias: bias?.buffer)
        return try Tensor(shape: [d.batch, d.outChannels, d.height, d.width], buffer: buffer, backend: self)
    }

    /// A ResNet block's `conv1` of `x` group-normalised as `input` says, and its 1x1 `shortcut` of `x`:
    /// `(conv2d(x, input: input, …), conv2d(overwriting: x, weight: shortcutWeight, bias: shortcutBias))`, with the
    /// same values. `x` is consumed. On a backend that claims ``BackendCapability/convolutionWithShortcut``, when no
    /// other tensor shares `x`'s buffer and the shortcut has no more output than input channels, the shortcut is
    /// written over `x` while the convolution reads it, so the whole input and the whole convolution output are
    /// never both held (the VAE decoder's largest step).
    public func conv2d(_ x: consuming Tensor, input: ConvolutionInput, weight: Tensor, bias: Tensor?,
                       padding: Padding2D = .zero, shortcutWeight: Tensor,
                       shortcutBias: Tensor?) throws -> (output: Tensor, shortcut: Tensor) {
        let shape = x.shape
        var buffer: DeviceBuffer? = x.buffer
        _ = consume x
        // The two calls the fused kernel replaces; the input's last reference goes to the shortcut.
        func unfused() throws -> (output: Tensor, shortcut: Tensor) {
            guard let taken = buffer.take() else { throw TensorError.invalidArgument(operation: "conv2d", detail: "no input") }
            let x = try Tensor(shape: shape, buffer: taken, backend: self)
            let out = try conv2d(x, input: input, weight: weight, bias: bias, padding: padding)
            return (out, try conv2d(overwriting: consume x, weight: shortcutWeight, bias: shortcutBias))
        }
        guard supports(.convolutionWithShortcut), case let .groupNorm(groups, gamma, beta, eps, silu) = input else {
            return try unfused()
        }
        // Checked on a view that is gone (its scope ends) before the buffer's references are counted.
        let d: Conv2DDescriptor, s: Conv2DDescriptor, gn: GroupNormDescriptor
        do {
            guard let stored = buffer else { throw TensorError.invalidArgument(operation: "conv2d", detail: "no input") }
            let view = try Tensor(shape: shape, buffer: stored, backend: self)
            try requireOwned("conv2d", gamma, beta)
            d = try convolutionDescriptor(shape, view, weight: weight, bias: bias, stride: (1, 1), padding: padding)
            s = try convolutionDescriptor(shape, view, weight: shortcutWeight, bias: shortcutBias, stride: (1, 1),
                                          padding: .zero)
            gn = try groupNormDescriptor(view, groups: groups, gamma: gamma, beta: beta, eps: eps)
        }
        guard s.kernelH == 1, s.kernelW == 1, s.outChannels <= s.inChannels, s.batch * s.inChannels * s.height * s.width > 0,
              d.outChannels * d.outHeight * d.outWidth > 0, var stored = buffer.take() else {
            return try unfused()
        }
        guard isKnownUniquelyReferenced(&stored) else {
            buffer = stored
            return try unfused()
        }
        let out = try Tensor(uninitializedShape: [d.batch, d.outChannels, d.outHeight, d.outWidth], on: self)
        try conv2d(d, input: stored, prologue: .groupNorm(gn, gamma: gamma?.buffer, beta: beta?.buffer, silu: silu),
                   weight: weight.buffer, bias: bias?.buffer, output: out.buffer, shortcut: s,
                   shortcutWeight: shortcutWeight.buffer, shortcutBias: shortcutBias?.buffer)
        return (out, try Tensor(shape: [s.batch, s.outChannels, s.height, s.width], buffer: stored, backend: self))
    }

    /// Checks that `residual` is on this backend, in float32, with the convolution's output `shape`.
    private func checkResidual(_ residual: Tensor, shape: [Int]) throws {
        try requireOwned("conv2d", residual)
        guard residual.shape == shape else {
            throw TensorError.shapeMismatch(operation: "conv2d", detail: "residual \(residual.shape) for an output \(shape)")
        }
    }

    /// Checks a convolution of `x` (whose values the convolution sees with shape `shape`) and describes it.
    private func convolutionDescriptor(_ shape: [Int], _ x: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int),
                                       padding: Padding2D) throws -> Conv2DDescriptor {
        try requireOwned("conv2d", x, bias)
        try requireWeight("conv2d", weight)
        guard shape.count == 4, weight.rank == 4, weight.shape[1] == shape[1] else {
            throw TensorError.shapeMismatch(operation: "conv2d", detail: "input \(shape), weight \(weight.shape)")
        }
        guard stride.0 > 0, stride.1 > 0, [padding.top, padding.bottom, padding.left, padding.right].allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(operation: "conv2d", detail: "stride \(stride), padding \(padding)")
        }
        let d = Conv2DDescriptor(batch: shape[0], inChannels: shape[1], height: shape[2], width: shape[3],
                                 outChannels: weight.shape[0], kernelH: weight.shape[2], kernelW: weight.shape[3],
                                 strideH: stride.0, strideW: stride.1, padTop: padding.top, padBottom: padding.bottom,
                                 padLeft: padding.left, padRight: padding.right)
        guard shape[2] + padding.top + padding.bottom >= d.kernelH, shape[3] + padding.left + padding.right >= d.kernelW else {
            throw TensorError.shapeMismatch(operation: "conv2d",
                detail: "kernel \(d.kernelH)x\(d.kernelW) larger than padded input \(shape)")
        }
        if let bias, bias.count != d.outChannels {
            throw TensorError.shapeMismatch(operation: "conv2d", detail: "bias \(bias.shape) for \(d.outChannels) channels")
        }
        return d
    }

    /// 2-D max pooling of an NCHW tensor. Padded positions hold `padValue`, or never win when it is `nil`.
    public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: Padding2D = .zero,
                          padValue: Float? = nil) throws -> Tensor {
        try requireOwned("maxPool2d", x)
        guard x.rank == 4, kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0,
              x.shape[2] + padding.top + padding.bottom >= kernel.0,
              x.shape[3] + padding.left + padding.right >= kernel.1 else {
            throw TensorError.invalidArgument(operation: "maxPool2d", detail: "input \(x.shape), kernel \(kernel), stride \(stride)")
        }
        let d = Pool2DDescriptor(planes: x.shape[0] * x.shape[1], height: x.shape[2], width: x.shape[3],
                                 kernelH: kernel.0, kernelW: kernel.1, strideH: stride.0, strideW: stride.1,
                                 padTop: padding.top, padBottom: padding.bottom, padLeft: padding.left,
                                 padRight: padding.right, padValue: padValue)
        let out = try Tensor(uninitializedShape: [x.shape[0], x.shape[1], d.outHeight, d.outWidth], on: self)
        if out.count > 0 { try maxPool2d(d, input: x.buffer, output: out.buffer) }
        return out
    }
}
