import Foundation

/// Prompts given as text, or as embeddings computed elsewhere (diffusers' `prompt_embeds`).
public enum PromptInput: Sendable {
    /// One prompt per batch entry.
    case text([String])
    /// `[batch, length, hidden]` embeddings, used as they are.
    case embeddings(Tensor)

    /// A single prompt.
    public static func text(_ prompt: String) -> PromptInput { .text([prompt]) }
}

/// Turns prompts into the text conditioning of the UNet, like diffusers' `encode_prompt` followed by
/// `torch.cat([negative_prompt_embeds, prompt_embeds])` in `StableDiffusionDepth2ImgPipeline`.
///
/// ```swift
/// let prompts = try PromptEncoder(modelFolder: folder, backend: backend)
/// let context = try prompts.guidanceBatch(prompt: .text("a castle"), negativePrompt: .text("blurry"))
/// // [2, 77, 1024]: negative first, then positive
/// ```
public final class PromptEncoder: Sendable {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextEncoder

    public init(tokenizer: CLIPTokenizer, textEncoder: CLIPTextEncoder) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
    }

    /// Loads `tokenizer/` and `text_encoder/` from a diffusers model folder.
    public convenience init(modelFolder: URL, backend: ComputeBackend, variant: String? = nil) throws {
        try self.init(tokenizer: CLIPTokenizer(folder: modelFolder.appendingPathComponent("tokenizer")),
                      textEncoder: CLIPTextEncoder(folder: modelFolder.appendingPathComponent("text_encoder"),
                                                   backend: backend, variant: variant))
    }

    /// `last_hidden_state` of each prompt tokenized to `length` ids (default: the tokenizer's 77):
    /// `[prompts.count, length, hidden]`.
    public func encode(_ prompts: [String], length: Int? = nil) throws -> Tensor {
        guard !prompts.isEmpty else { throw PipelineError.invalidParameter("no prompt given") }
        let ids = prompts.flatMap { tokenizer.encode($0, length: length) }
        return try textEncoder(ids: ids, batch: prompts.count)
    }

    /// The embeddings the denoising loop conditions on.
    ///
    /// - Parameters:
    ///   - prompt: the prompts (batch size `n`), or their embeddings.
    ///   - negativePrompt: one negative prompt for all, `n` of them, or embeddings of the prompt's shape.
    ///     `nil` means the empty string. Ignored without guidance.
    ///   - imagesPerPrompt: each prompt's embedding is repeated this many times, consecutively.
    ///   - classifierFreeGuidance: when on (guidance scale > 1) the result is `cat([negative, positive])`,
    ///     `[2·n·imagesPerPrompt, length, hidden]`; otherwise just the positive `[n·imagesPerPrompt, …]`.
    public func guidanceBatch(prompt: PromptInput, negativePrompt: PromptInput? = nil, imagesPerPrompt: Int = 1,
                              classifierFreeGuidance: Bool = true) throws -> Tensor {
        guard imagesPerPrompt >= 1 else { throw PipelineError.invalidParameter("imagesPerPrompt must be at least 1, got \(imagesPerPrompt)") }
        let positive = try embeddings(prompt, role: "prompt")
        guard classifierFreeGuidance else { return try repeated(positive, imagesPerPrompt) }
        let batch = positive.shape[0], length = positive.shape[1]
        let negative: Tensor
        switch negativePrompt {
        case nil:
            negative = try encode([String](repeating: "", count: batch), length: length)
        case let .text(texts)?:
            guard texts.count == 1 || texts.count == batch else {
                throw PipelineError.invalidParameter("\(texts.count) negative prompts for \(batch) prompts: give one negative prompt, or one per prompt")
            }
            negative = try encode(texts.count == batch ? texts : [String](repeating: texts[0], count: batch), length: length)
        case let .embeddings(tensor)?:
            negative = try embeddings(.embeddings(tensor), role: "negative prompt")
            guard negative.shape == positive.shape else {
                throw PipelineError.invalidPromptEmbeddings("negative prompt embeddings \(negative.shape) must have the prompt embeddings' shape \(positive.shape)")
            }
        }
        return try textEncoder.backend.concat([repeated(negative, imagesPerPrompt), repeated(positive, imagesPerPrompt)], axis: 0)
    }

    private func embeddings(_ input: PromptInput, role: String) throws -> Tensor {
        switch input {
        case let .text(texts):
            guard !texts.isEmpty else { throw PipelineError.invalidParameter("no \(role) given") }
            return try encode(texts)
        case let .embeddings(tensor):
            let backend = textEncoder.backend
            guard tensor.rank == 3, tensor.shape[0] > 0, tensor.shape[1] > 0, tensor.shape[2] == textEncoder.config.hiddenSize else {
                throw PipelineError.invalidPromptEmbeddings("\(role) embeddings have shape \(tensor.shape); expected [batch, length, \(textEncoder.config.hiddenSize)]")
            }
            return tensor.backend === backend ? tensor : try tensor.to(backend)
        }
    }

    /// Each entry of the batch repeated `count` times in a row (diffusers' `repeat(1, n, 1).view(b·n, …)`).
    private func repeated(_ x: Tensor, _ count: Int) throws -> Tensor {
        guard count > 1 else { return x }
        let backend = textEncoder.backend
        let rows = try (0..<x.shape[0]).map { try backend.narrow(x, axis: 0, start: $0, length: 1) }
        return try backend.concat(rows.flatMap { [Tensor](repeating: $0, count: count) }, axis: 0)
    }
}
