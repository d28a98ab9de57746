/// The schedulers this package implements, named as the command line accepts them.
public enum SchedulerKind: String, CaseIterable, Sendable {
    /// `PNDMScheduler` (the Stable Diffusion 2 depth default).
    case pndm
    /// `DDIMScheduler`.
    case ddim
    /// `EulerDiscreteScheduler`.
    case euler
    /// `EulerAncestralDiscreteScheduler`.
    case eulerAncestral = "euler-a"
    /// `DPMSolverMultistepScheduler` (DPM-Solver++ 2M).
    case dpmSolverPP2M = "dpm++2m"
    /// `DPMSolverMultistepScheduler` with `use_karras_sigmas=True`.
    case dpmSolverPP2MKarras = "dpm++2m-karras"
    /// `LMSDiscreteScheduler`.
    case lms
    /// `HeunDiscreteScheduler`.
    case heun
    /// `UniPCMultistepScheduler` (bh2).
    case unipc

    /// The diffusers class this kind reproduces.
    public var diffusersClassName: String {
        switch self {
        case .pndm: return "PNDMScheduler"
        case .ddim: return "DDIMScheduler"
        case .euler: return "EulerDiscreteScheduler"
        case .eulerAncestral: return "EulerAncestralDiscreteScheduler"
        case .dpmSolverPP2M, .dpmSolverPP2MKarras: return "DPMSolverMultistepScheduler"
        case .lms: return "LMSDiscreteScheduler"
        case .heun: return "HeunDiscreteScheduler"
        case .unipc: return "UniPCMultistepScheduler"
        }
    }
}

/// Creates a scheduler of the given kind from a `scheduler_config.json` configuration, as
/// `DiffusersClass.from_config(config, **overrides)` would. Kind-specific settings are forced:
/// `dpm++2m` uses `algorithm_type="dpmsolver++"`, `solver_order=2` and no Karras sigmas,
/// `dpm++2m-karras` the same with `use_karras_sigmas=True`, `unipc` uses `solver_type="bh2"`.
///
/// - Throws: ``ConfigError`` when the configuration has unsupported or contradictory values.
public func makeScheduler(kind: SchedulerKind, config: SchedulerConfig) throws -> Scheduler {
    var config = config
    switch kind {
    case .pndm: return try PNDMScheduler(config: config)
    case .ddim: return try DDIMScheduler(config: config)
    case .euler: return try EulerDiscreteScheduler(config: config)
    case .eulerAncestral: return try EulerAncestralDiscreteScheduler(config: config)
    case .dpmSolverPP2M, .dpmSolverPP2MKarras:
        config.algorithmType = "dpmsolver++"
        config.solverOrder = 2
        config.useKarrasSigmas = kind == .dpmSolverPP2MKarras
        return try DPMSolverMultistepScheduler(config: config)
    case .lms: return try LMSDiscreteScheduler(config: config)
    case .heun: return try HeunDiscreteScheduler(config: config)
    case .unipc:
        config.solverType = "bh2"
        return try UniPCMultistepScheduler(config: config)
    }
}
