import Foundation
import TensorIO
import Testing

func fixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
}

let expected: [Float] = [0.5, -1.25, 3.0, 1e-3, -2.5, 100.0]

@Test("safetensors written by Python: every dtype, a scalar, an empty tensor and metadata")
func readsPythonSafetensors() throws {
    let f = try SafetensorsFile.read(from: fixtureURL("dtypes.safetensors"))
    #expect(f.metadata["note"] == "written by safetensors.torch")
    let f32 = try #require(f["f32"])
    #expect(f32.dtype == .float32 && f32.shape == [2, 3] && f32.asFloat32() == expected)
    #expect(f["f64"]!.asFloat32() == expected)
    for (name, tol) in [("f16", Float(1e-3)), ("bf16", Float(1e-2))] {
        let v = f[name]!.asFloat32()
        for (a, b) in zip(v, expected) { #expect(abs(a - b) <= tol * max(1, abs(b)), "\(name): \(a) vs \(b)") }
    }
    #expect(f["i64"]!.asInt64() == [1, -2, 3, 1 << 40, 0, -7])
    #expect(f["i32"]!.asInt64() == [5, -6, 7])
    #expect(f["u8"]!.asInt64() == [0, 255, 17])
    #expect(f["bool"]!.dtype == .bool && f["bool"]!.asInt64() == [1, 0, 1])
    #expect(f["scalar"]!.shape == [] && f["scalar"]!.asFloat32() == [2.5])
    #expect(f["empty"]!.shape == [0, 3] && f["empty"]!.count == 0)
}

@Test("safetensors round trip keeps order, dtypes, values and metadata; header 8-byte aligned")
func safetensorsRoundTrip() throws {
    let src = try SafetensorsFile.read(from: fixtureURL("dtypes.safetensors"))
    let bytes = src.serialized()
    let headerLength = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    #expect(headerLength % 8 == 0)
    let back = try SafetensorsFile.parse(bytes, source: "memory")
    #expect(back.names == src.names)
    for (a, b) in zip(src.entries, back.entries) { #expect(a.array.bytes == b.array.bytes && a.array.dtype == b.array.dtype && a.array.shape == b.array.shape) }
    #expect(back.metadata == src.metadata)
}

@Test(".npy written by numpy: float32/64, int64/32, bool, scalar")
func readsNumpy() throws {
    #expect(try NPY.read(from: fixtureURL("f32.npy")).asFloat32() == expected)
    #expect(try NPY.read(from: fixtureURL("f64.npy")).asFloat32() == expected)
    #expect(try NPY.read(from: fixtureURL("i64.npy")).asInt64() == [1, -2, 3, 1 << 40, 0, -7])
    #expect(try NPY.read(from: fixtureURL("i32.npy")).shape == [3])
    #expect(try NPY.read(from: fixtureURL("bool.npy")).dtype == .bool)
    let s = try NPY.read(from: fixtureURL("scalar.npy"))
    #expect(s.shape == [] && s.asFloat32() == [2.5])
    let a = try NPY.read(from: fixtureURL("f32.npy"))
    #expect(try NPY.parse(NPY.serialize(a), source: "m").asFloat32() == expected)
    #expect((NPY.serialize(a).count - a.bytes.count) % 64 == 0, "numpy pads the header to 64 bytes")
}

@Test("Fortran-ordered and big-endian .npy files written by numpy read as the plain float32 values")
func npyFortranAndBigEndianValues() throws {
    let f = try NPY.read(from: fixtureURL("fortran.npy"))
    #expect(f.shape == [2, 3] && f.asFloat32() == expected)
    let b = try NPY.read(from: fixtureURL("bigendian.npy"))
    #expect(b.dtype == .float32 && b.shape == [2, 3] && b.asFloat32() == expected)
    // boxes[:, [1, 0, 3, 2]] of [[1, 2, 11, 12], [3, 4, 33, 44], [5, 6, 55, 66]].
    let boxes = try NPY.read(from: fixtureURL("npy-layouts/f_boxes_permuted_f4.npy"))
    #expect(boxes.shape == [3, 4] && boxes.asFloat32() == [2, 1, 12, 11, 4, 3, 44, 33, 6, 5, 66, 55])
    let line = try NPY.read(from: fixtureURL("npy-layouts/f_1d_f4.npy"))
    #expect(line.shape == [5] && line.asFloat32() == [0.5, -1, 2, 4, -8])
    let cube = try NPY.read(from: fixtureURL("npy-layouts/f_3d_f4.npy"))
    #expect(cube.shape == [2, 3, 4] && cube.asFloat32() == (0..<24).map { Float($0) * 0.5 - 3 })
}

/// Every layout file of `npy-layouts/` (written by make_io.py) next to its C-ordered little-endian twin.
@Test("Fortran-ordered (1-D, 2-D, 3-D) and big-endian .npy files of every dtype equal numpy's C-ordered copy",
      arguments: ["f_boxes_permuted_f4", "f_transposed_f8", "f_3d_f4", "f_3d_i8", "f_i4", "f_f2", "f_u1", "f_b1", "f_1d_f4",
                  "be_f4", "be_f8", "be_i8", "be_i4", "be_f2", "be_f_3d_f8"])
func npyLayoutsMatchCOrder(name: String) throws {
    let a = try NPY.read(from: fixtureURL("npy-layouts/\(name).npy"))
    let c = try NPY.read(from: fixtureURL("npy-layouts/\(name).c.npy"))
    #expect(a.dtype == c.dtype && a.shape == c.shape, "\(name): \(a.dtype) \(a.shape) vs \(c.dtype) \(c.shape)")
    #expect(a.bytes == c.bytes, "\(name): values differ from the C-ordered copy")
    #expect(c.asFloat32().contains { $0 != 0 }, "\(name): the twin should not be all zeros")
}

@Test("a .npy header with an unknown dtype or fortran_order value is a named error")
func npyBadLayoutHeader() {
    func file(_ header: String, bytes: Int) -> [UInt8] {
        var h = header
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count), 0] + Array(h.utf8) + [UInt8](repeating: 0, count: bytes)
    }
    for (header, mention) in [("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }", ">c8"),
                              ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "fortran_order")] {
        #expect { try NPY.parse(file(header, bytes: 8), source: "odd.npy") } throws: { e in
            "\(e)".contains("odd.npy") && "\(e)".contains(mention)
        }
    }
}

/// A valid little file with two entries, for the error and fuzz tests.
func sampleSafetensors() -> [UInt8] {
    SafetensorsFile(entries: [(name: "a", array: HostArray(float32: [1, 2, 3, 4], shape: [2, 2])),
                              (name: "b", array: HostArray(int64: [7], shape: [1]))],
                    metadata: ["k": "v"]).serialized()
}

func withHeader(_ json: String, data: [UInt8]) -> [UInt8] {
    var h = Array(json.utf8)
    while h.count % 8 != 0 { h.append(0x20) }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(h.count).littleEndian) { out += $0 }
    return out + h + data
}

@Test("hostile or broken safetensors files throw errors naming the file and the entry",
      arguments: [
        ("truncated", Array(sampleSafetensors().prefix(5)), "truncated"),
        ("header too long", Array(sampleSafetensors().prefix(20)), "exceeds"),
        ("not json", withHeader("{nope", data: []), "JSON"),
        ("bad dtype", withHeader(#"{"x":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), "'x'"),
        ("negative shape", withHeader(#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "'x'"),
        ("offsets out of range", withHeader(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "'x'"),
        ("size mismatch", withHeader(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "'x'"),
        ("overlap", withHeader(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "overlaps"),
        ("gap", withHeader(#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [0, 0]), "gap"),
        ("trailing", withHeader(#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0, 0]), "trailing"),
        ("huge shape", withHeader(#"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "'x'"),
        ("fraction offset", withHeader(#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}"#, data: [0]), "'x'"),
      ])
func safetensorsErrors(name: String, bytes: [UInt8], mention: String) {
    #expect {
        _ = try SafetensorsFile.parse(bytes, source: "bad-\(name).safetensors")
    } throws: { e in
        "\(e)".contains("bad-\(name).safetensors") && "\(e)".contains(mention)
    }
}

@Test("broken .npy files throw errors naming the file")
func npyErrors() throws {
    let good = NPY.serialize(HostArray(float32: [1, 2, 3], shape: [3]))
    for (why, bytes) in [("magic", Array("hello world!".utf8)), ("truncated data", Array(good.dropLast(3))),
                         ("trailing", good + [0]), ("version", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 9, 0, 0, 0])] {
        #expect(throws: TensorIOError.self, "\(why)") { try NPY.parse(bytes, source: "x.npy") }
    }
    #expect(throws: TensorIOError.self) { try NPY.read(from: URL(fileURLWithPath: "/nonexistent/a.npy")) }
}

/// Seeded xorshift for the fuzz tests.
struct Xorshift {
    var s: UInt64
    mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
    var b = input
    for _ in 0..<(1 + rng.below(4)) {
        switch rng.below(5) {
        case 0: if !b.isEmpty { b[rng.below(b.count)] ^= UInt8(truncatingIfNeeded: rng.next()) }
        case 1: b = Array(b.prefix(rng.below(b.count + 1)))
        case 2: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(b.count + 1))
        case 3: if b.count > 8 { b[8 + rng.below(min(b.count - 8, 64))] = [0x22, 0x7B, 0x7D, 0x2C, 0x5B, 0x5D, 0x30, 0x39][rng.below(8)] }
        default: if b.count >= 8 { for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: rng.next()) } }
        }
    }
    return b
}

@Test("bounded mutation fuzz: both readers either parse or throw, never crash")
func fuzzReaders() {
    var rng = Xorshift(s: 0x9E3779B97F4A7C15)
    let st = sampleSafetensors()
    let npy = NPY.serialize(HostArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]))
    var parsed = 0, thrown = 0
    for _ in 0..<3000 {
        let m = mutate(st, &rng)
        do { _ = try SafetensorsFile.parse(m, source: "fuzz.safetensors"); parsed += 1 } catch { thrown += 1 }
        let n = mutate(npy, &rng)
        do { _ = try NPY.parse(n, source: "fuzz.npy"); parsed += 1 } catch { thrown += 1 }
    }
    #expect(parsed + thrown == 6000)
    #expect(thrown > 1000, "the mutations should break most files")
}
