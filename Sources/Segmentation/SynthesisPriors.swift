import Foundation

/// Training data that cannot be used; the message names the file and the problem.
public struct SynthesisError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// A normal distribution over a parameter (mean and spread, same units as the parameter).
public struct GaussianPrior: Sendable, Equatable {
    public var mean: Double
    public var spread: Double

    public init(mean: Double, spread: Double) {
        self.mean = mean
        self.spread = spread
    }
}

/// What the generator knows about the labels of the training maps (SynthSeg's `labels_classes_priors`).
/// Every per-label array is aligned with `generationLabels`.
public struct SynthesisPriors: Sendable, Equatable {
    /// The label values found in the training maps.
    public let generationLabels: [Int]
    /// Per label: tissue class; labels of one class share one random contrast (e.g. a left/right pair).
    public let tissueClasses: [Int]
    /// Per label: T1 class, an index into `t1Means` and `t1Stds`.
    public let t1Classes: [Int]
    /// Per T1 class: prior of the class's mean intensity (0…255 scale).
    public let t1Means: [GaussianPrior]
    /// Per T1 class: prior of the class's intensity standard deviation (0…255 scale).
    public let t1Stds: [GaussianPrior]
    /// Per label: the `LabelSet` class index the segmenter must predict for it (0 for not segmented).
    public let targetClasses: [Int]
    /// Per label: true for the extra-cerebral tissues (labels 500 and above: skull, scalp, eyes and other
    /// non-brain tissue), which the generator may erase to imitate skull-stripped scans.
    public let extraCerebral: [Bool]

    /// `targetLabels` are aseg labels per generation label; labels of the `LabelSet` (CSF 24 included) are
    /// always their own target.
    public init(generationLabels: [Int], tissueClasses: [Int], t1Classes: [Int], t1Means: [GaussianPrior],
                t1Stds: [GaussianPrior], targetLabels: [Int]) throws {
        let count = generationLabels.count
        guard count > 0, count <= 256, [tissueClasses.count, t1Classes.count, targetLabels.count].allSatisfy({ $0 == count }) else {
            throw SynthesisError(path: "priors", problem: "per-label arrays must all hold the same 1…256 labels")
        }
        guard generationLabels.contains(0) else { throw SynthesisError(path: "priors", problem: "background label 0 is missing") }
        guard Set(generationLabels).count == count else { throw SynthesisError(path: "priors", problem: "repeated generation labels") }
        guard t1Means.count == t1Stds.count, t1Classes.allSatisfy({ (0..<t1Means.count).contains($0) }) else {
            throw SynthesisError(path: "priors", problem: "T1 classes do not match the \(t1Means.count) T1 priors")
        }
        self.generationLabels = generationLabels
        self.tissueClasses = tissueClasses
        self.t1Classes = t1Classes
        self.t1Means = t1Means
        self.t1Stds = t1Stds
        targetClasses = try zip(generationLabels, targetLabels).map { label, target in
            guard let index = LabelSet.classIndex(ofAseg: label) ?? LabelSet.classIndex(ofAseg: target) else {
                throw SynthesisError(path: "priors", problem: "label \(label) maps to \(target), which is not in the label set")
            }
            return index
        }
        extraCerebral = generationLabels.map { $0 >= 500 }
    }

    /// Position of label 0 in `generationLabels`.
    public var backgroundIndex: Int { generationLabels.firstIndex(of: 0) ?? 0 }

    /// Reads SynthSeg's files from `folder`: generation_labels.npy, generation_classes.npy,
    /// generation_classes_contrast_specific.npy, prior_means_t1.npy, prior_stds_t1.npy (2 × classes: row 0
    /// the centre, row 1 the spread) and synthseg_segmentation_labels.npy.
    public static func load(from folder: URL) throws -> SynthesisPriors {
        func integers(_ name: String) throws -> [Int] {
            let url = folder.appendingPathComponent(name)
            return try NumPyArray.read(url).integers(path: url.path)
        }
        func priors(_ name: String) throws -> [GaussianPrior] {
            let url = folder.appendingPathComponent(name)
            let array = try NumPyArray.read(url)
            guard array.shape.count == 2, array.shape[0] == 2 else {
                throw NumPyError(path: url.path, problem: "expected shape (2, classes), found \(array.shape)")
            }
            let classes = array.shape[1]
            return (0..<classes).map { GaussianPrior(mean: array.values[$0], spread: array.values[classes + $0]) }
        }
        do {
            return try SynthesisPriors(generationLabels: integers("generation_labels.npy"),
                                       tissueClasses: integers("generation_classes.npy"),
                                       t1Classes: integers("generation_classes_contrast_specific.npy"),
                                       t1Means: priors("prior_means_t1.npy"), t1Stds: priors("prior_stds_t1.npy"),
                                       targetLabels: integers("synthseg_segmentation_labels.npy"))
        } catch let error as SynthesisError {
            throw SynthesisError(path: folder.path, problem: error.problem)
        }
    }
}
