/// GPT-2 / CLIP byte-level alphabet (`bytes_to_unicode`): every byte maps to one printable character.
///
/// The 188 printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68 bytes
/// map, in byte order, to U+0100, U+0101, …. Vocabulary entries are spelled in these characters.
enum ByteLevelAlphabet {
    /// The character of each byte value.
    static let characters: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next = 0
        let shifted = Array("ĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĲĳĴĵĶķĸĹĺĻļĽľĿŀŁłŃ")  // U+0100…U+0143
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable { table[byte] = Character(Unicode.Scalar(UInt8(byte))) } else { table[byte] = shifted[next]; next += 1 }
        }
        return table
    }()
}
