import Foundation
import Pipeline
import Segmentation
import TestSupport
import Testing

@Suite(.enabled(if: FileManager.default.fileExists(atPath: Repository.url("pipelines/brain-t1/segmenter.safetensors").path),
                "needs the shipped segmenter in pipelines/brain-t1"))
struct PipelineBundleTests {
    /// A bundle holding the shipped segmenter and class weights claiming to be fitted for `hash`.
    static func bundle(classWeightsFittedFor hash: (PipelineBundle) -> String, in scratch: ScratchFolder) throws -> URL {
        let folder = try scratch.folder("bundle")
        try FileManager.default.copyItem(at: Repository.url("pipelines/brain-t1/segmenter.safetensors"),
                                         to: folder.appendingPathComponent("segmenter.safetensors"))
        try Data(#"{"name": "test", "segmenter": "segmenter.safetensors", "window_voxels": 64}"#.utf8)
            .write(to: folder.appendingPathComponent("pipeline.json"))
        let plain = try PipelineBundle(folder: folder)
        var factors = [Float](repeating: 1, count: LabelSet.count)
        factors[LabelSet.classIndex(ofAseg: 18)!] = 0.6
        let file = ClassWeightsFile(weights: ClassWeights(factors: factors), segmenterSHA256: hash(plain), fitImages: 1, heldOutImages: 1,
                                    heldOutMeanDice: [:])
        try JSONEncoder().encode(file).write(to: folder.appendingPathComponent("class-weights.json"))
        try Data(#"{"name": "test", "segmenter": "segmenter.safetensors", "window_voxels": 64, "class_weights": "class-weights.json"}"#.utf8)
            .write(to: folder.appendingPathComponent("pipeline.json"))
        return folder
    }

    @Test func loadsClassWeightsFittedForItsOwnSegmenter() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let folder = try Self.bundle(classWeightsFittedFor: \.weightsHash, in: scratch)

        let bundle = try PipelineBundle(folder: folder)

        #expect(bundle.classWeights?.factors[LabelSet.classIndex(ofAseg: 18)!] == 0.6)
    }

    @Test func refusesClassWeightsFittedForOtherSegmenterWeights() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let folder = try Self.bundle(classWeightsFittedFor: { _ in String(repeating: "0", count: 64) }, in: scratch)

        #expect {
            try PipelineBundle(folder: folder)
        } throws: { error in
            "\(error)".contains("class-weights.json") && "\(error)".contains("fitted for other segmenter weights")
        }
    }

    @Test(arguments: [(#"{"weight": 1.5, "candidate_floor": 0.25}"#, true), (#"{"weight": -1, "candidate_floor": 0.25}"#, false),
                      (#"{"weight": 1.5, "candidate_floor": 0.7}"#, false), (#"{"weight": 1.5, "candidate_floor": 0}"#, false)])
    func readsIntensityRefinementAndRejectsSettingsOutsideItsRange(settings: String, valid: Bool) throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let folder = try scratch.folder("bundle")
        try FileManager.default.copyItem(at: Repository.url("pipelines/brain-t1/segmenter.safetensors"),
                                         to: folder.appendingPathComponent("segmenter.safetensors"))
        try Data(#"{"name": "test", "segmenter": "segmenter.safetensors", "window_voxels": 64, "intensity_refinement": \#(settings)}"#.utf8)
            .write(to: folder.appendingPathComponent("pipeline.json"))

        if valid {
            #expect(try PipelineBundle(folder: folder).intensityRefinement == IntensityRefinement(weight: 1.5, candidateFloor: 0.25))
        } else {
            #expect { try PipelineBundle(folder: folder) } throws: { "\($0)".contains("intensity_refinement needs") }
        }
    }
}
