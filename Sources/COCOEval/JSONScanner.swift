import Foundation

/// A pull scanner over the bytes of a JSON document: no tree is built, callers walk the
/// structure they expect and skip the rest, so memory stays proportional to what is kept.
///
/// Numbers parse to the correctly rounded `Double` (exact fast path for ≤ 15 significant digits
/// and |exponent| ≤ 22, `strtod` otherwise), as Python's `json` does. `NaN`, `Infinity` and
/// `-Infinity` (which Python writes) are accepted as numbers; callers reject them where needed.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    var pos = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    // MARK: errors

    /// An error at the current position: `FILE: invalid JSON at line L, column C: message`.
    func syntaxError(_ message: String) -> COCOError {
        var line = 1, column = 1
        for i in 0..<min(pos, bytes.count) {
            if bytes[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return COCOError("\(file): invalid JSON at line \(line), column \(column): \(message)")
    }

    private func describeHere() -> String {
        guard pos < bytes.count else { return "end of file" }
        let c = bytes[pos]
        return (0x20..<0x7F).contains(c) ? "'\(Character(UnicodeScalar(c)))'" : String(format: "byte 0x%02X", c)
    }

    // MARK: structure

    @inline(__always) mutating func skipWhitespace() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// The next non-blank byte without consuming it (nil at the end).
    @inline(__always) mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < bytes.count ? bytes[pos] : nil
    }

    mutating func expect(_ c: UInt8, _ what: String) throws {
        guard peek() == c else { throw syntaxError("expected \(what), found \(describeHere())") }
        pos += 1
    }

    /// After `{` or `[` (consumed by `expect`): true while another member/element follows;
    /// consumes the separating comma and the closing bracket.
    mutating func hasNext(_ first: inout Bool, close: UInt8) throws -> Bool {
        guard let c = peek() else { throw syntaxError("unexpected end of file") }
        if c == close { pos += 1; return false }
        if first { first = false; return true }
        guard c == 0x2C else {
            throw syntaxError("expected ',' or '\(Character(UnicodeScalar(close)))', found \(describeHere())")
        }
        pos += 1
        switch peek() {
        case nil: throw syntaxError("unexpected end of file")
        case close: throw syntaxError("trailing comma")
        default: return true
        }
    }

    /// Reads an object key and its colon; returns the index of the key among `candidates`
    /// (byte comparison, escapes decoded first when present), or -1 for any other key.
    mutating func readKey(_ candidates: [StaticString]) throws -> Int {
        guard peek() == 0x22 else { throw syntaxError("expected a string key, found \(describeHere())") }
        let (start, end, escaped) = try scanString()
        let found: Int
        if escaped {
            let key = Array(try decodeString(start, end).utf8)
            found = candidates.firstIndex { c in
                c.withUTF8Buffer { $0.elementsEqual(key) }
            } ?? -1
        } else {
            let n = end - start
            found = candidates.firstIndex { c in
                c.utf8CodeUnitCount == n && memcmp(c.utf8Start, bytes.baseAddress! + start, n) == 0
            } ?? -1
        }
        try expect(0x3A, "':'")
        return found
    }

    /// Reads a string value.
    mutating func readString() throws -> String {
        guard peek() == 0x22 else { throw syntaxError("expected a string, found \(describeHere())") }
        let (start, end, escaped) = try scanString()
        if escaped { return try decodeString(start, end) }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// At an opening quote: moves past the closing quote; returns the content's byte range.
    private mutating func scanString() throws -> (Int, Int, Bool) {
        pos += 1
        let start = pos
        var escaped = false
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x22 { pos += 1; return (start, pos - 1, escaped) }
            if c == 0x5C { escaped = true; pos += 2; continue }
            if c < 0x20 { throw syntaxError("control character in a string") }
            pos += 1
        }
        pos = bytes.count
        throw syntaxError("unterminated string")
    }

    private func decodeString(_ start: Int, _ end: Int) throws -> String {
        var out: [UInt8] = []
        var i = start
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= end else { return nil }
            var v: UInt32 = 0
            for k in at..<at + 4 {
                let c = bytes[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while i < end {
            let c = bytes[i]
            if c != 0x5C { out.append(c); i += 1; continue }
            guard i + 1 < end else { throw syntaxError("bad escape in a string") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var u = hex4(i) else { throw syntaxError("bad \\u escape in a string") }
                i += 4
                if (0xD800..<0xDC00).contains(u), i + 6 <= end, bytes[i] == 0x5C, bytes[i + 1] == 0x75,
                   let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: Array(String(UnicodeScalar(u).map(Character.init) ?? "\u{FFFD}").utf8))
            default: throw syntaxError("bad escape in a string")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Skips one value of any kind (nested containers iteratively, no recursion).
    mutating func skipValue() throws {
        var stack: [Bool] = []   // true: inside an object
        while true {
            guard let c = peek() else { throw syntaxError("unexpected end of file") }
            switch c {
            case 0x7B, 0x5B:   // { [
                pos += 1
                let close: UInt8 = c == 0x7B ? 0x7D : 0x5D
                if peek() == close { pos += 1; break }
                stack.append(c == 0x7B)
                if c == 0x7B { _ = try readKey([]) }
                continue
            case 0x22: _ = try scanString()
            case 0x74: try literal("true")
            case 0x66: try literal("false")
            case 0x6E: try literal("null")
            case 0x2D, 0x30...0x39: skipNumber()
            default: _ = try readNumber()
            }
            while let inObject = stack.last {
                guard let n = peek() else { throw syntaxError("unexpected end of file") }
                if n == 0x2C {
                    pos += 1
                    if inObject { _ = try readKey([]) }
                    break
                }
                guard n == (inObject ? 0x7D : 0x5D) else {
                    throw syntaxError("expected ',' or '\(inObject ? "}" : "]")', found \(describeHere())")
                }
                pos += 1
                stack.removeLast()
            }
            if stack.isEmpty { return }
        }
    }

    /// Moves past number characters without converting them (skipped values need no value).
    private mutating func skipNumber() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c &- 0x30 < 10 || c == 0x2D || c == 0x2B || c == 0x2E || c | 0x20 == 0x65 { pos += 1 } else { return }
        }
    }

    private mutating func literal(_ word: String) throws {
        for b in word.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw syntaxError("invalid literal") }
            pos += 1
        }
    }

    /// Reads `true`/`false` or a number (0 = false); COCO writes flags either way.
    mutating func readFlag(_ what: @autoclosure () -> String) throws -> Double {
        switch peek() {
        case 0x74: try literal("true"); return 1
        case 0x66: try literal("false"); return 0
        default: return try readNumber(what())
        }
    }

    // MARK: numbers

    private static let exactPowers: [Double] = (0...22).map { pow(10.0, Double($0)) }

    /// Reads a number; `NaN`, `Infinity`, `-Infinity` included.
    mutating func readNumber() throws -> Double {
        guard let first = peek() else { throw syntaxError("unexpected end of file") }
        let start = pos
        var negative = false
        if first == 0x4E { try literal("NaN"); return .nan }
        if first == 0x2D { negative = true; pos += 1 }
        if pos < bytes.count, bytes[pos] == 0x49 { try literal("Infinity"); return negative ? -.infinity : .infinity }
        var mantissa: UInt64 = 0
        var digits = 0, exponent = 0, intDigits = 0
        var sawDigit = false
        while pos < bytes.count, bytes[pos] &- 0x30 < 10 {
            let d = UInt64(bytes[pos] &- 0x30)
            if mantissa == 0 && d == 0 { sawDigit = true; pos += 1; intDigits += 1; continue }
            if digits < 19 { mantissa = mantissa &* 10 &+ d; digits += 1 } else { exponent += 1; digits += 1 }
            sawDigit = true; intDigits += 1; pos += 1
        }
        guard sawDigit else { pos = start; throw syntaxError("expected a value, found \(describeHere())") }
        if intDigits > 1, bytes[pos - intDigits] == 0x30 { pos = start; throw syntaxError("number with a leading zero") }
        if pos < bytes.count, bytes[pos] == 0x2E {
            pos += 1
            var frac = false
            while pos < bytes.count, bytes[pos] &- 0x30 < 10 {
                let d = UInt64(bytes[pos] &- 0x30)
                frac = true
                pos += 1
                if mantissa == 0 && d == 0 { exponent -= 1; continue }
                if digits < 19 { mantissa = mantissa &* 10 &+ d; digits += 1; exponent -= 1 } else { digits += 1 }
            }
            guard frac else { throw syntaxError("digit expected after '.'") }
        }
        if pos < bytes.count, bytes[pos] | 0x20 == 0x65 {
            pos += 1
            var eneg = false
            if pos < bytes.count, bytes[pos] == 0x2D || bytes[pos] == 0x2B { eneg = bytes[pos] == 0x2D; pos += 1 }
            var e = 0, any = false
            while pos < bytes.count, bytes[pos] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(bytes[pos] &- 0x30) }
                any = true; pos += 1
            }
            guard any else { throw syntaxError("digit expected in an exponent") }
            exponent += eneg ? -e : e
        }
        if digits <= 15, exponent >= -22, exponent <= 22 {
            let m = Double(mantissa)
            let v = exponent >= 0 ? m * Self.exactPowers[exponent] : m / Self.exactPowers[-exponent]
            return negative ? -v : v
        }
        return slowParse(start, pos)
    }

    private func slowParse(_ start: Int, _ end: Int) -> Double {
        var buf = [CChar](repeating: 0, count: end - start + 1)
        for i in start..<end { buf[i - start] = CChar(bitPattern: bytes[i]) }
        return strtod(buf, nil)
    }

    /// Reads a number field; a value of another kind is an error naming `what`.
    mutating func readNumber(_ what: @autoclosure () -> String) throws -> Double {
        switch peek() {
        case 0x22: throw COCOError("\(what()) must be a number, got a string")
        case 0x5B: throw COCOError("\(what()) must be a number, got a list")
        case 0x7B: throw COCOError("\(what()) must be a number, got an object")
        case 0x6E: throw COCOError("\(what()) must be a number, got null")
        case 0x74, 0x66: throw COCOError("\(what()) must be a number, got a boolean")
        default: return try readNumber()
        }
    }

    /// Reads an integer-valued number (ids); `what` names it in the error.
    mutating func readInt(_ what: @autoclosure () -> String) throws -> Int {
        let save = pos
        let v = try readNumber(what())
        guard v.isFinite, v == v.rounded(), abs(v) < 9.007199254740992e15 else {
            pos = save
            throw COCOError("\(what()) must be an integer, got \(v)")
        }
        return Int(v)
    }

    /// The document must end after the top-level value.
    mutating func expectEnd() throws {
        if peek() != nil { throw syntaxError("unexpected data after the top-level value") }
    }
}

/// Reads a whole file into memory (mapped when possible) and runs `body` over its bytes.
func withFileBytes<T>(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
        throw COCOError("\(path): cannot read: \((error as NSError).localizedDescription)")
    }
    return try data.withUnsafeBytes { raw in try body(raw.bindMemory(to: UInt8.self)) }
}
