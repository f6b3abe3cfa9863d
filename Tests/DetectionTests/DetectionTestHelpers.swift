import Foundation
import TensorCore
import TestSupport
import Testing

/// One case of a fixture's "cases" metadata list.
struct FixtureCase {
    let values: [String: Any]
    var name: String { values["name"] as! String }
    func int(_ k: String) -> Int { (values[k] as! NSNumber).intValue }
    func float(_ k: String) -> Float { (values[k] as! NSNumber).floatValue }
    func bool(_ k: String) -> Bool { (values[k] as! NSNumber).boolValue }
    func string(_ k: String) -> String { values[k] as! String }
    func strings(_ k: String) -> [String] { values[k] as! [String] }
    func ints(_ k: String) -> [Int] { (values[k] as! [NSNumber]).map(\.intValue) }
    func intLists(_ k: String) -> [[Int]] { (values[k] as! [[NSNumber]]).map { $0.map(\.intValue) } }
    func floatLists(_ k: String) -> [[Float]] { (values[k] as! [[NSNumber]]).map { $0.map(\.floatValue) } }
}

func cases(_ fx: Fixture) throws -> [FixtureCase] {
    try (fx.json("cases") as! [[String: Any]]).map(FixtureCase.init)
}

func ints(_ fx: Fixture, _ key: String) throws -> [Int] { try fx.array(key).asInt64().map { Int($0) } }

/// Features and boxes with a fixed seed for property tests.
func randomFeatures(_ shape: [Int], seed: UInt64) -> Tensor {
    RandomGenerator.withSeed(seed) { Tensor.rand(shape, low: -1, high: 1) }
}
