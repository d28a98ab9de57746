/// GPT-2 / CLIP byte-level alphabet (`bytes_to_unicode`): every byte maps to one printable character.
///
/// The 188 printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68 bytes
/// map, in byte order, to U+0100, U+0101, …. Vocabulary entries are spelled in these characters.
enum ByteLevelAlphabet {
    /// The character of each byte value.
    static let characters: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            let scalar: UInt32
            if printable { scalar = UInt32(byte) } else { scalar = next; next += 1 }
            table[byte] = Character(Unicode.Scalar(scalar)!)
        }
        return table
    }()
}
