/// How a BiT convolution or pooling pads its input (transformers `get_padding_value` / `DynamicPad2d`).
enum BitPadding: Equatable {
    /// The same zero padding on every side.
    case fixed(Int)
    /// TensorFlow "SAME": `max((ceil(x/s) - 1)·s + k - x, 0)` per axis, the smaller half first.
    case dynamic(kernel: Int, stride: Int)

    /// The padding transformers chooses for `padding` (`"SAME"`, `"VALID"` or `nil`), kernel and stride.
    init(globalPadding: String?, kernel: Int, stride: Int) {
        switch globalPadding?.uppercased() {
        case nil: self = .fixed(((stride - 1) + (kernel - 1)) / 2)
        case "SAME"?: self = stride == 1 && (kernel - 1) % 2 == 0 ? .fixed((kernel - 1) / 2) : .dynamic(kernel: kernel, stride: stride)
        case "VALID"?: self = .fixed(0)
        default: self = .fixed(((stride - 1) + (kernel - 1)) / 2)
        }
    }

    /// The per-side padding for an input of `height` x `width`.
    func padding(height: Int, width: Int) -> Padding2D {
        switch self {
        case .fixed(let p): return .uniform(p)
        case .dynamic(let k, let s):
            func total(_ x: Int) -> Int { max(((x + s - 1) / s - 1) * s + k - x, 0) }
            let ph = total(height), pw = total(width)
            return Padding2D(top: ph / 2, bottom: ph - ph / 2, left: pw / 2, right: pw - pw / 2)
        }
    }
}
