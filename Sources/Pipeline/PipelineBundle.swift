import Foundation
import LanguageModel
import Reporting
import Segmentation

/// A pipeline bundle `pipelines/<name>/`: `pipeline.json`, the segmenter's weights, the normative models,
/// and the report language model with its tokenizer.
public struct PipelineBundle {
    struct Manifest: Decodable {
        var name: String
        var segmenter: String
        var windowVoxels: Int
        var mirrorAveraging: Bool?
        var classWeights: String?
        var intensityRefinement: Refinement?
        var norms: String?
        var reportModel: String?
        var tokenizer: String?

        enum CodingKeys: String, CodingKey {
            case name, segmenter, norms
            case windowVoxels = "window_voxels"
            case mirrorAveraging = "mirror_averaging"
            case classWeights = "class_weights"
            case intensityRefinement = "intensity_refinement"
            case reportModel = "report_model"
            case tokenizer
        }
    }

    struct Refinement: Decodable {
        var weight: Float
        var candidateFloor: Float

        enum CodingKeys: String, CodingKey {
            case weight
            case candidateFloor = "candidate_floor"
        }
    }

    /// The report language model and its vocabulary.
    public struct ReportModel {
        public let tokenizer: Tokenizer
        public let model: LanguageModel
        public let weightsHash: String
    }

    public let folder: URL
    public let name: String
    public let model: SpikingUNet3D
    /// SHA-256 of the weights file.
    public let weightsHash: String
    public let weightsFile: String
    /// Edge of the segmenter's inference windows, in network voxels: its training crop size.
    public let windowEdge: Int
    /// Whether the segmenter averages each window with its left/right mirror image (`Segmenter.mirrorAveraging`).
    public let mirrorAveraging: Bool
    /// Per-class posterior factors fitted by `neurospike calibrate-classes` (`Segmenter.classWeights`).
    public let classWeights: ClassWeights?
    /// SHA-256 of the class weights file, for provenance.
    public let classWeightsHash: String?
    /// The 1 mm argmax's use of the scan's own class intensities (`Segmenter.intensityRefinement`).
    public let intensityRefinement: IntensityRefinement?
    public let norms: NormativeModels?
    public let reportModel: ReportModel?

    /// Finds a bundle: a folder path, or a name looked up in `NEUROSPIKE_PIPELINES`, then in the `pipelines`
    /// folder of the source tree the binary was built in (`.build/<triple>/<config>/neurospike`).
    public static func locate(_ nameOrPath: String, executable: URL) throws -> URL {
        let direct = URL(fileURLWithPath: nameOrPath, isDirectory: true)
        if FileManager.default.fileExists(atPath: direct.appendingPathComponent("pipeline.json").path) { return direct }
        var roots: [URL] = []
        if let environment = ProcessInfo.processInfo.environment["NEUROSPIKE_PIPELINES"] {
            roots.append(URL(fileURLWithPath: environment, isDirectory: true))
        }
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            roots.append(folder.appendingPathComponent("pipelines", isDirectory: true))
            folder = folder.deletingLastPathComponent()
        }
        for root in roots {
            let candidate = root.appendingPathComponent(nameOrPath, isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("pipeline.json").path) { return candidate }
        }
        throw PipelineError("no pipeline bundle '\(nameOrPath)' (looked for pipeline.json in \(roots.map(\.path).joined(separator: ", ")); set NEUROSPIKE_PIPELINES or pass --pipeline DIR)")
    }

    public init(folder: URL) throws {
        self.folder = folder
        let manifestURL = folder.appendingPathComponent("pipeline.json")
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL))
        } catch {
            throw PipelineError("\(manifestURL.path): not a valid pipeline manifest (\(error))")
        }
        name = manifest.name
        weightsFile = manifest.segmenter
        let weights = folder.appendingPathComponent(manifest.segmenter)
        guard let data = try? Data(contentsOf: weights) else { throw PipelineError("\(weights.path): cannot read the segmenter's weights") }
        weightsHash = SHA256.hex(of: data)
        (model, _) = try SegmentationTrainer.load(weights)
        guard manifest.windowVoxels > 0, manifest.windowVoxels % model.configuration.sizeMultiple == 0 else {
            throw PipelineError("\(manifestURL.path): window_voxels must be a positive multiple of \(model.configuration.sizeMultiple)")
        }
        windowEdge = manifest.windowVoxels
        mirrorAveraging = manifest.mirrorAveraging ?? false
        let (classes, hash) = (model.configuration.classes, weightsHash)
        let fitted = try manifest.classWeights.map { file in
            try ClassWeightsFile.read(folder.appendingPathComponent(file), classes: classes, weightsHash: hash)
        }
        (classWeights, classWeightsHash) = (fitted?.weights, fitted?.sha256)
        intensityRefinement = try manifest.intensityRefinement.map { settings in
            guard IntensityRefinement.accepts(weight: settings.weight, candidateFloor: settings.candidateFloor) else {
                throw PipelineError("\(manifestURL.path): intensity_refinement needs weight ≥ 0 and 0 < candidate_floor ≤ 0.5")
            }
            return IntensityRefinement(weight: settings.weight, candidateFloor: settings.candidateFloor)
        }
        norms = try manifest.norms.map { try NormativeModels(contentsOf: folder.appendingPathComponent($0)) }
        if let file = manifest.reportModel, let tokenizerFile = manifest.tokenizer {
            let url = folder.appendingPathComponent(file)
            guard let data = try? Data(contentsOf: url) else { throw PipelineError("\(url.path): cannot read the report model") }
            let model = try LanguageModel(contentsOf: url)
            let tokenizer = try Tokenizer.load(from: folder.appendingPathComponent(tokenizerFile))
            guard tokenizer.vocabularySize == model.configuration.vocabularySize else {
                throw PipelineError("\(url.path): the report model's vocabulary (\(model.configuration.vocabularySize)) does not match \(tokenizerFile) (\(tokenizer.vocabularySize))")
            }
            reportModel = ReportModel(tokenizer: tokenizer, model: model, weightsHash: SHA256.hex(of: data))
        } else {
            reportModel = nil
        }
    }
}

/// The JSON file `neurospike calibrate-classes` writes: the factors, the weights they were fitted for and
/// how they scored on held-out synthetic images.
public struct ClassWeightsFile: Codable {
    public var factors: [Float]
    public var classes: [String]
    public var segmenterSHA256: String
    public var fitImages: Int
    public var heldOutImages: Int
    public var heldOutMeanDice: [String: Double]

    enum CodingKeys: String, CodingKey {
        case factors, classes
        case segmenterSHA256 = "segmenter_sha256"
        case fitImages = "fit_images"
        case heldOutImages = "held_out_images"
        case heldOutMeanDice = "held_out_mean_dice"
    }

    public init(weights: ClassWeights, segmenterSHA256: String, fitImages: Int, heldOutImages: Int, heldOutMeanDice: [String: Double]) {
        factors = weights.factors
        classes = LabelSet.structures.map(\.name)
        self.segmenterSHA256 = segmenterSHA256
        self.fitImages = fitImages
        self.heldOutImages = heldOutImages
        self.heldOutMeanDice = heldOutMeanDice
    }

    /// Reads the factors and the file's SHA-256, refusing a file fitted for other segmenter weights or with
    /// the wrong class count.
    static func read(_ url: URL, classes: Int, weightsHash: String) throws -> (weights: ClassWeights, sha256: String) {
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(ClassWeightsFile.self, from: data) else {
            throw PipelineError("\(url.path): cannot read the class weights (written by neurospike calibrate-classes)")
        }
        guard file.segmenterSHA256 == weightsHash else {
            throw PipelineError("\(url.path): fitted for other segmenter weights; run neurospike calibrate-classes again")
        }
        guard file.factors.count == classes, file.factors.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw PipelineError("\(url.path): needs \(classes) positive class factors")
        }
        return (ClassWeights(factors: file.factors), SHA256.hex(of: data))
    }
}

/// A problem with a pipeline bundle or a batch, phrased for the user.
public struct PipelineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
