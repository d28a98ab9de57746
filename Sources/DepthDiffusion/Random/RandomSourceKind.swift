/// Which random numbers the pipeline draws.
public enum RandomSourceKind: String, Sendable, CaseIterable {
    /// PyTorch's CPU generator (`torch.Generator().manual_seed(seed)`): the same seed gives diffusers' image.
    case torch
    /// A fast generator for users who do not need parity with PyTorch.
    case fast

    func make(seed: UInt64) -> RandomSource {
        switch self {
        case .torch: return TorchGenerator(seed: seed)
        case .fast: return FastRandomSource(seed: seed)
        }
    }
}
