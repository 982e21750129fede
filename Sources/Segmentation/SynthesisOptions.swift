/// Settings of the training-image generator. Intensities are on SynthSeg's 0…255 scale before the final
/// min-max normalisation; lengths are in mm; probabilities in 0…1. Setting a range or probability to 0
/// turns that augmentation off.
public struct SynthesisOptions: Sendable, Equatable {
    /// Voxels along each axis of the (cubic) sample.
    public var size: Int
    /// Output voxel size (mm, isotropic).
    public var voxelMM: Double
    /// Share of samples whose contrast is drawn from the T1 priors; the rest get fully random contrasts.
    public var t1Probability = 0.5
    /// Random contrasts: each tissue class's mean and standard deviation are uniform in these ranges.
    public var randomMeanRange: ClosedRange<Double> = 0...255
    public var randomStdRange: ClosedRange<Double> = 0...35
    /// Random affine: rotation about each axis (degrees), scaling per axis (fraction), shear per axis pair.
    public var maxRotationDegrees = 15.0
    public var maxScaling = 0.2
    public var maxShear = 0.012
    /// Random shift of the sample's centre from the brain's centre, per axis. Inference runs overlapping
    /// windows of the crop size over the whole conformed head, whose centres lie up to about 40 mm from the
    /// brain's centre, so training crops are drawn as far out.
    public var maxShiftMM = 40.0
    /// Elastic deformation: a `elasticNodes`³ grid of displacements with a per-sample standard deviation
    /// uniform in 0…`maxElasticMM`, upsampled with cubic B-splines.
    public var maxElasticMM = 3.0
    public var elasticNodes = 5
    /// Bias field: exp of a smooth `biasNodes`³ field whose standard deviation is uniform in 0…`maxBiasStd`.
    public var maxBiasStd = 0.5
    public var biasNodes = 4
    /// Gamma: intensities (0…1) are raised to exp(N(0, gammaStd)).
    public var gammaStd = 0.4
    /// Random resolution: with this probability a sample is acquired coarser, each axis with chance ½ at a
    /// voxel size uniform in `voxelMM…maxAcquisitionMM`, simulated by Gaussian blur (sigma 0.75 × size
    /// ratio, in output voxels) and linear down- and up-sampling.
    public var resolutionProbability = 0.5
    public var maxAcquisitionMM = 4.0
    /// Blur (sigma, output voxels) of axes acquired at the output resolution: partial volume and smoother noise.
    public var baseBlurVoxels = 0.5
    /// Gaussian noise added after blur and bias: standard deviation uniform in 0…`maxNoiseStd`.
    public var maxNoiseStd = 8.0
    /// Probability of a left/right mirror image (with left and right labels swapped in the target).
    public var flipProbability = 0.5
    /// Probability of erasing the extra-cerebral labels (to background) before synthesis, which imitates a
    /// skull-stripped scan.
    public var skullStripProbability = 0.3

    public init(size: Int = 96, voxelMM: Double = 2) {
        precondition(size >= 8 && voxelMM > 0, "a sample needs at least 8 voxels per axis and a positive voxel size")
        self.size = size
        self.voxelMM = voxelMM
    }

    /// Only the geometry and the per-label Gaussian intensities: no bias, gamma, blur, resolution change or
    /// added noise (for checking the intensity model).
    public func withoutIntensityArtefacts() -> SynthesisOptions {
        var options = self
        options.maxBiasStd = 0
        options.gammaStd = 0
        options.resolutionProbability = 0
        options.baseBlurVoxels = 0
        options.maxNoiseStd = 0
        return options
    }
}
