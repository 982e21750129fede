import CPUBackend
import Foundation
import Tensor
import Testing

/// One case of Fixtures/forward_cases.json (written by generate_forward_cases.py).
struct ForwardCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Values: Decodable, Sendable {
        let shape: [Int]
        let values: [Float]
        var tensor: Tensor { Tensor(shape: shape, scalars: values) }
    }

    let name: String
    let op: String
    let parameters: [String: Double]
    let inputs: [String: Values]
    let expected: [String: Values]

    var testDescription: String { name }

    func input(_ key: String) -> Tensor { inputs[key]!.tensor }
    func int(_ key: String) -> Int { Int(parameters[key]!) }
    func float(_ key: String) -> Float { Float(parameters[key]!) }

    static let all: [ForwardCase] = {
        struct File: Decodable { let cases: [ForwardCase] }
        guard let url = Bundle.module.url(forResource: "forward_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.cases
    }()
}

@Test func forwardFixturesArePresent() {
    #expect(ForwardCase.all.count >= 22, "Fixtures/forward_cases.json is missing or short; run generate_forward_cases.py")
}

@Test(arguments: ForwardCase.all)
func forwardKernelsMatchNumPyReference(_ testCase: ForwardCase) {
    let backend = CPUBackend(threadCount: 2)
    var outputs: [String: Tensor] = [:]
    let geometry = { ConvGeometry(size: testCase.int("size"), stride: testCase.int("stride"), padding: testCase.int("padding")) }
    switch testCase.op {
    case "conv3d":
        outputs["output"] = backend.conv3d(testCase.input("input"), weight: testCase.input("weight"), bias: testCase.input("bias"),
                                           geometry: geometry())
    case "convTranspose3d":
        outputs["output"] = backend.convTranspose3d(testCase.input("input"), weight: testCase.input("weight"),
                                                    bias: testCase.input("bias"), geometry: geometry())
    case "maxPool3d": outputs["output"] = backend.maxPool3d(testCase.input("input"), size: testCase.int("size"))
    case "avgPool3d": outputs["output"] = backend.avgPool3d(testCase.input("input"), size: testCase.int("size"))
    case "groupNorm":
        outputs["output"] = backend.groupNorm(testCase.input("input"), groups: testCase.int("groups"), gamma: testCase.input("gamma"),
                                              beta: testCase.input("beta"), epsilon: testCase.float("epsilon"))
    case "rmsNorm":
        outputs["output"] = backend.rmsNorm(testCase.input("input"), gamma: testCase.input("gamma"), epsilon: testCase.float("epsilon"))
    case "softmax": outputs["output"] = backend.softmax(testCase.input("input"))
    case "silu": outputs["output"] = backend.unary(.silu, testCase.input("input"))
    case "logSigmoid": outputs["output"] = backend.unary(.logSigmoid, testCase.input("input"))
    case "spikeCounts":
        outputs["output"] = backend.spikeCounts(testCase.input("input"), threshold: testCase.input("threshold"),
                                                maxCount: testCase.float("maxCount"))
    case "adaptiveSpikeCounts":
        let result = backend.adaptiveSpikeCounts(testCase.input("input"), k: testCase.float("k"), maxCount: testCase.float("maxCount"))
        outputs["output"] = result.counts
        outputs["thresholds"] = result.thresholds
    case "rope": outputs["output"] = backend.rope(testCase.input("input"), offset: testCase.int("offset"), inverse: false)
    case "windowedAttention":
        outputs["output"] = backend.windowedAttention(q: testCase.input("q"), k: testCase.input("k"), v: testCase.input("v"),
                                                      window: testCase.int("window"))
    case "gatedLinearAttention":
        let result = backend.gatedLinearAttention(q: testCase.input("q"), k: testCase.input("k"), v: testCase.input("v"),
                                                  logDecay: testCase.input("logDecay"), initialState: nil,
                                                  chunkSize: testCase.int("chunkSize"))
        outputs["output"] = result.output
        outputs["state"] = result.state
    default:
        Issue.record("no runner for op \(testCase.op)")
    }
    for (key, expected) in testCase.expected {
        guard let actual = outputs[key] else {
            Issue.record("\(testCase.name): no output '\(key)'")
            continue
        }
        #expect(actual.shape == expected.shape, "\(testCase.name) \(key)")
        if actual.shape == expected.shape {
            let tolerance = 1e-4 * max(1, expected.values.map(abs).max() ?? 1)
            #expect(actual.maxAbsDifference(expected.tensor) <= tolerance, "\(testCase.name) \(key)")
        }
    }
}

@Test func softmaxSplitAcrossThreadsGivesTheSingleThreadedRows() {
    var generator = SeededGenerator(seed: 11)
    let logits = Tensor.randomNormal(shape: [3000, 33], standardDeviation: 4, using: &generator)
    let parallel = CPUBackend(threadCount: 2).softmax(logits)
    #expect(parallel == CPUBackend(threadCount: 1).softmax(logits))
    for row in 0..<3000 {
        let sum = parallel.scalars[(row * 33)..<((row + 1) * 33)].reduce(0, +)
        #expect(abs(sum - 1) < 1e-5)
    }
}
