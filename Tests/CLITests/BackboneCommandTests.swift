import Foundation
import TensorCore
import TensorIO
import TestSupport
import Testing

/// `attnzoo backbone …` and `attnzoo precise-bn` as a user runs them.
@Suite struct BackboneCommandTests {
    func image(_ shape: [Int]) throws -> URL {
        let u = tempURL("img.npy")
        try NPY.write(HostArray(float32: (0..<shape.reduce(1, *)).map { Float(($0 * 7919) % 255) / 255 - 0.5 }, shape: shape), to: u)
        return u
    }

    @Test("backbone list --json: every named backbone with ID, source, parameters and MACs")
    func list() throws {
        let (rc, out, err) = try attnzoo(["backbone", "list", "--json"])
        #expect(rc == 0, "\(err)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        let r50 = try #require(rows.first { $0["name"] as? String == "resnet50" })
        #expect(r50["parameters"] as? Int == 25_557_032)   // torchvision's resnet50
        #expect((r50["macs_224"] as? Int).map { abs($0 - 4_089_184_256) < 50_000_000 } == true, "\(r50)")
        #expect(rows.count >= 15 && rows.allSatisfy { $0["id"] != nil && $0["source"] != nil })
    }

    @Test("backbone run: logits, stage outputs, gradients, weights; with a plugin")
    func run() throws {
        let x = try image([2, 3, 64, 80]), y = tempURL("y.npy"), f = tempURL("f.safetensors"), g = tempURL("g.safetensors"), s = tempURL("s.safetensors")
        defer { for u in [x, y, f, g, s] { try? FileManager.default.removeItem(at: u) } }
        let (rc, _, err) = try attnzoo(["backbone", "run", "resnet18", "--plugin", "cbam-block:stages=3,4:reduction=8", "--arg", "num_classes=7",
                                        "--input", x.path, "--output", y.path, "--features", f.path, "--train", "--grads", g.path,
                                        "--save-weights", s.path])
        #expect(rc == 0, "\(err)")
        #expect(try NPY.read(from: y).shape == [2, 7])
        let feats = try SafetensorsFile.read(from: f)
        #expect(feats.names == ["layer1", "layer2", "layer3", "layer4"])
        #expect(feats["layer4"]?.shape == [2, 512, 2, 3])
        let grads = try SafetensorsFile.read(from: g)
        #expect(grads.names.contains("input") && grads.names.contains("layer3.1.after_conv3.ChannelAttention.se.0.weight") == false)
        #expect(grads.names.contains { $0.hasPrefix("layer4.1.after_conv3.") })
        let saved = try SafetensorsFile.read(from: s)
        #expect(saved["layer1.0.bn1.num_batches_tracked"]?.asInt64() == [1])
    }

    @Test("bad input answers one line and exits non-zero", arguments: [
        (["backbone", "run", "resnet99"], "unknown backbone 'resnet99'"),
        (["backbone", "run", "resnet18", "--plugin", "se:stages=5"], "within 1–4"),
        (["backbone", "run", "resnet18", "--plugin", "se:position=middle"], "unknown position 'middle'"),
        (["backbone", "run", "resnet18", "--plugin", "gltr"], "cannot sit in a channel-preserving attention slot"),
        (["backbone", "run", "resnet18", "--plugin", "sa:G=48"], "does not fit layer1.0.after_conv3 (64 channels)"),
        (["backbone", "summary", "resnet18", "--shape", "1,4,64,64"], "4 channels, the stem takes 3"),
        (["backbone", "summary", "resnet18", "--shape", "1,3,16,64"], "total stride 32"),
    ])
    func badInput(_ args: [String], _ expected: String) throws {
        let x = try image([1, 3, 64, 64]), y = tempURL("y.npy")
        defer { try? FileManager.default.removeItem(at: x) }
        let full = args.first == "backbone" && args[1] == "run" ? args + ["--input", x.path, "--output", y.path] : args
        let (rc, _, err) = try attnzoo(full)
        #expect(rc != 0)
        #expect(err.contains(expected), "\(err)")
        #expect(err.split(separator: "\n").count == 1, "\(err)")
    }

    @Test("a weights file with missing, extra and mis-shaped keys is named with all of them")
    func badWeights() throws {
        let x = try image([1, 3, 64, 64]), y = tempURL("y.npy"), w = tempURL("w.safetensors")
        defer { for u in [x, y, w] { try? FileManager.default.removeItem(at: u) } }
        try SafetensorsFile(entries: [("conv1.weight", HostArray(float32: [Float](repeating: 0, count: 64 * 27), shape: [64, 3, 3, 3])),
                                      ("extra.weight", HostArray(float32: [1], shape: [1]))]).write(to: w)
        let (rc, _, err) = try attnzoo(["backbone", "run", "resnet18", "--input", x.path, "--output", y.path, "--weights", w.path])
        #expect(rc != 0)
        #expect(err.contains(w.path) && err.contains("missing keys") && err.contains("extra.weight") && err.contains("conv1.weight expects [64, 3, 7, 7]"), "\(err)")
    }

    @Test("summary lists the plugin rows and the total MACs")
    func summary() throws {
        let (rc, out, err) = try attnzoo(["backbone", "summary", "resnet18", "--plugin", "pam:stages=4", "--shape", "1,3,64,64"])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("PAMModule") && out.contains("Total MACs"))
    }

    @Test("precise-bn writes recomputed statistics and keeps the parameters")
    func preciseBN() throws {
        let x = try image([6, 3, 64, 64]), s = tempURL("s.safetensors")
        defer { for u in [x, s] { try? FileManager.default.removeItem(at: u) } }
        let (rc, out, err) = try attnzoo(["precise-bn", "resnet18", "--input", x.path, "--batch-size", "2", "--save-weights", s.path])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("3 batches of 2"))
        let saved = try SafetensorsFile.read(from: s)
        #expect(saved["bn1.num_batches_tracked"]?.asInt64() == [3])
        #expect(saved["bn1.running_mean"]?.asFloat32().contains { $0 != 0 } == true)
        let (rc2, _, err2) = try attnzoo(["precise-bn", "resnet18", "--input", x.path, "--batch-size", "4", "--batches", "2", "--save-weights", s.path])
        #expect(rc2 != 0 && err2.contains("holds 1 full batch of 4"), "\(err2)")
    }
}
