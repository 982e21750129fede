import Foundation
import NeuroImage

/// How a case's prediction was made, where that is known: segmented by `validate` itself, or read from the
/// `run.json` (and `findings.json`) that `segment` or `validate` wrote beside a given prediction.
public struct SegmentationRecord: Sendable, Equatable {
    /// Wall time from reading the image through post-processing (the read, conform, network and
    /// post-processing stages), in seconds; writing outputs and scoring are not included.
    public var seconds: Double
    /// Share of the network's spike counts that are 0, over all activation sites (nil: not a spiking network).
    public var zeroCountFraction: Double?
    /// Share of silent slots in the bitwise spike trains (nil: not a spiking network).
    public var silentSlotFraction: Double?

    public init(seconds: Double, zeroCountFraction: Double?, silentSlotFraction: Double?) {
        self.seconds = seconds
        self.zeroCountFraction = zeroCountFraction
        self.silentSlotFraction = silentSlotFraction
    }
}

/// The scores of one case, or why it could not be scored.
public struct CaseResult: Sendable {
    public var id: String
    public var subject: String?
    public var scores: [StructureScore]
    /// Wall time to load and score the case (s).
    public var seconds: Double
    public var failure: String?
    /// How the prediction was made, when known.
    public var segmentation: SegmentationRecord?

    public init(id: String, subject: String?, scores: [StructureScore], seconds: Double, failure: String?,
                segmentation: SegmentationRecord? = nil) {
        self.id = id
        self.subject = subject
        self.scores = scores
        self.seconds = seconds
        self.failure = failure
        self.segmentation = segmentation
    }
}

/// Scores predicted label maps against a manifest's reference labels.
public enum Validation {
    /// The 14 subcortical structures of the summary's second macro mean: thalamus, caudate, putamen,
    /// pallidum, hippocampus, amygdala, accumbens, left and right.
    public static let subcorticalLabels: Set<Int32> = [10, 11, 12, 13, 17, 18, 26, 49, 50, 51, 52, 53, 54, 58]

    /// Scores one case: the reference is mapped to aseg labels (excluded voxels left out); the prediction
    /// must lie on the reference's grid.
    public static func score(_ testCase: DatasetManifest.Case, prediction predictionURL: URL,
                             manifest: DatasetManifest) -> CaseResult {
        let start = Date()
        var result = scoreUntimed(testCase, prediction: predictionURL, manifest: manifest)
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    private static func scoreUntimed(_ testCase: DatasetManifest.Case, prediction predictionURL: URL,
                                     manifest: DatasetManifest) -> CaseResult {
        var result = CaseResult(id: testCase.id, subject: testCase.subject, scores: [], seconds: 0, failure: nil)
        do {
            let referenceVolume = try NIfTI.read(manifest.url(testCase.labels))
            let predictionVolume = try NIfTI.read(predictionURL)
            guard referenceVolume.shape.voxelsPerVolume == predictionVolume.shape.voxelsPerVolume,
                  referenceVolume.shape.i == predictionVolume.shape.i, referenceVolume.shape.j == predictionVolume.shape.j else {
                result.failure = "\(predictionURL.path): grid \(predictionVolume.shape) differs from the reference's \(referenceVolume.shape)"
                return result
            }
            let mismatch = zip(referenceVolume.affine.rows.joined(), predictionVolume.affine.rows.joined()).map { abs($0 - $1) }.max() ?? 0
            guard mismatch < 1e-3 else {
                result.failure = "\(predictionURL.path): affine differs from the reference's by up to \(mismatch) (not the same grid)"
                return result
            }
            var reference = LabelGrid(referenceVolume)
            let excluded = reference.labels.map { manifest.mapping.aseg($0) == LabelMapping.excluded }
            reference.labels = reference.labels.map { manifest.mapping.aseg($0) }
            let prediction = LabelGrid(predictionVolume)
            result.scores = OverlapMetrics.score(reference: reference, prediction: prediction, labels: manifest.labels,
                                                 excluded: excluded.contains(true) ? excluded : nil)
        } catch {
            result.failure = "\(error)"
        }
        return result
    }
}
