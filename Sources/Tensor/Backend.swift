/// Geometry of a cubic 3-D convolution over NDHWC volumes: kernel `size`³, the same `stride` and
/// zero `padding` (in voxels) on every axis.
public struct ConvGeometry: Sendable, Hashable {
    public var size: Int
    public var stride: Int
    public var padding: Int

    public init(size: Int, stride: Int = 1, padding: Int = 0) {
        precondition(size > 0 && stride > 0 && padding >= 0, "bad convolution geometry \(size)/\(stride)/\(padding)")
        self.size = size
        self.stride = stride
        self.padding = padding
    }

    /// Output extent of one axis for an input extent.
    public func outputExtent(_ input: Int) -> Int { (input + 2 * padding - size) / stride + 1 }

    /// Input extent of one axis that a transposed convolution produces from `output` (the inverse of `outputExtent`).
    public func inputExtent(_ output: Int) -> Int { (output - 1) * stride + size - 2 * padding }
}

/// Pointwise functions with a derivative; `clippedReLU(c)` is min(max(x, 0), c).
public enum UnaryOp: Sendable, Hashable {
    case relu
    case clippedReLU(Float)
    case silu
    case sigmoid
    case logSigmoid
    case exp
    case negate
    case scale(Float)
    case square
}

/// Elementwise binary functions; the second operand broadcasts when its shape is a suffix of the first's
/// (a bias `[C]` over `[N, D, H, W, C]`) or when it has one value.
public enum BinaryOp: Sendable, Hashable {
    case add, subtract, multiply
}

/// The kernels the models run on: forward passes, enough for inference. Every backend implements these;
/// the CPU backend is the reference the others are tested against.
///
/// Tensors cross the protocol in host memory. Shape mistakes are programmer errors (`precondition`).
public protocol Backend: AnyObject {
    /// A short name for logs and provenance, e.g. "cpu (2 threads)".
    var name: String { get }

    /// The largest tensor, in bytes, that one op may take or return (a device's storage-buffer limit).
    var maxTensorBytes: Int { get }

    /// `a · b` for 2-D operands, optionally transposed: `[M, K] · [K, N] → [M, N]`.
    func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor

    /// Convolution: input `[N, D, H, W, Cin]`, weight `[k, k, k, Cin, Cout]`, bias `[Cout]` →
    /// `[N, D', H', W', Cout]`.
    func conv3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor

    /// Transposed convolution (the adjoint of `conv3d` with the same weight): input `[N, D, H, W, Cin]`,
    /// weight `[k, k, k, Cout, Cin]`, bias `[Cout]` → `[N, D', H', W', Cout]` with `D' = geometry.inputExtent(D)`.
    func convTranspose3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor

    /// Max pooling over non-overlapping `size`³ windows of `[N, D, H, W, C]`; extents must divide by `size`.
    func maxPool3d(_ input: Tensor, size: Int) -> Tensor

    /// Average pooling over non-overlapping `size`³ windows.
    func avgPool3d(_ input: Tensor, size: Int) -> Tensor

    /// Group normalisation of `[N, …, C]` over the spatial axes and `C / groups` channels, then `γ·x̂ + β`.
    func groupNorm(_ input: Tensor, groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor

    /// RMS normalisation over the last axis, then times `gamma`.
    func rmsNorm(_ input: Tensor, gamma: Tensor, epsilon: Float) -> Tensor

    func unary(_ op: UnaryOp, _ input: Tensor) -> Tensor
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor

    /// Softmax over the last axis.
    func softmax(_ input: Tensor) -> Tensor

    /// Index of the largest value along the last axis (the first on ties), one per row: class labels from scores.
    func argmax(_ input: Tensor) -> [Int32]

    /// Spike counts `clamp(round(x / θ), 0, maxCount)` of `[…, C]` with a threshold per channel
    /// (`threshold` has `C` values) or per layer (one value). The counts are integers stored as fp32.
    func spikeCounts(_ input: Tensor, threshold: Tensor, maxCount: Float) -> Tensor

    /// Signed spike counts with SpikingBrain's per-token threshold `θ = mean(|x|) / k` over the last
    /// axis: `clamp(round(x / θ), −maxCount, maxCount)`. Returns counts and the `[tokens]` thresholds.
    func adaptiveSpikeCounts(_ input: Tensor, k: Float, maxCount: Float) -> (counts: Tensor, thresholds: Tensor)

    /// Concatenation along `axis`.
    func concat(_ parts: [Tensor], axis: Int) -> Tensor

    /// `range` of `axis`.
    func slice(_ input: Tensor, axis: Int, range: Range<Int>) -> Tensor

    /// Rows of `table` `[vocabulary, features]` for each id.
    func embedding(_ table: Tensor, ids: [Int32]) -> Tensor

    /// Rotary position embedding on `[T, H, Dh]` (pairs `(2i, 2i+1)`, base 10 000) for positions `offset…`;
    /// `inverse` rotates back (the transpose, which is also the backward pass).
    func rope(_ input: Tensor, offset: Int, inverse: Bool) -> Tensor

    /// Causal softmax attention over a sliding window: q, k, v `[T, H, Dh]`; token t sees tokens
    /// `max(0, t − window + 1)…t`; scores scaled by 1/√Dh.
    func windowedAttention(q: Tensor, k: Tensor, v: Tensor, window: Int) -> Tensor

    /// Gated linear attention over a whole sequence, computed chunk by chunk: q, k `[T, H, Dk]`,
    /// v `[T, H, Dv]`, `logDecay` `[T, H, Dk]` (≤ 0). `S_t = diag(exp(logDecay_t)) S_{t−1} + k_tᵀ v_t`,
    /// `o_t = (q_t / √Dk) S_t`, from `initialState` `[H, Dk, Dv]` (zeros when nil). Returns `o` and the final state.
    /// With one token and the previous state this is the recurrent decoding step (constant memory).
    func gatedLinearAttention(q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor, initialState: Tensor?,
                              chunkSize: Int) -> (output: Tensor, state: Tensor)
}

/// The backward kernels that training needs on top of `Backend`.
public protocol TrainingBackend: Backend {
    func conv3dBackwardInput(_ gradOutput: Tensor, weight: Tensor, inputShape: [Int], geometry: ConvGeometry) -> Tensor
    /// Weight `[k, k, k, Cin, Cout]` and bias `[Cout]` gradients.
    func conv3dBackwardWeight(_ gradOutput: Tensor, input: Tensor, geometry: ConvGeometry) -> (weight: Tensor, bias: Tensor)
    /// Routes each window's gradient to its (first) maximum.
    func maxPool3dBackward(_ gradOutput: Tensor, input: Tensor, output: Tensor, size: Int) -> Tensor
    func avgPool3dBackward(_ gradOutput: Tensor, inputShape: [Int], size: Int) -> Tensor
    func groupNormBackward(_ gradOutput: Tensor, input: Tensor, groups: Int, gamma: Tensor,
                           epsilon: Float) -> (input: Tensor, gamma: Tensor, beta: Tensor)
    func rmsNormBackward(_ gradOutput: Tensor, input: Tensor, gamma: Tensor, epsilon: Float) -> (input: Tensor, gamma: Tensor)
    /// `gradOutput · f′(input)`.
    func unaryBackward(_ op: UnaryOp, _ gradOutput: Tensor, input: Tensor) -> Tensor
    /// From the softmax output `y`: `y ⊙ (g − Σ g ⊙ y)`.
    func softmaxBackward(_ gradOutput: Tensor, output: Tensor) -> Tensor
    /// Gradients of `θ · spikeCounts(x, θ)`: straight through the rounding inside `[0, maxCount·θ]`, zero
    /// outside; the threshold gets the learned-step-size gradient (`round(u) − u` inside, `maxCount` above).
    func spikeBackward(_ gradOutput: Tensor, input: Tensor, threshold: Tensor, maxCount: Float) -> (input: Tensor, threshold: Tensor)
    /// Sums `[…, C]` over all leading axes to `shape` (a suffix of the input shape, or one value): the
    /// gradient of a broadcast.
    func reduceToShape(_ input: Tensor, shape: [Int]) -> Tensor
    /// Adds each row of `gradOutput` into row `ids[i]` of a zero `[vocabulary, features]` table.
    func embeddingBackward(_ gradOutput: Tensor, ids: [Int32], vocabulary: Int) -> Tensor
    func windowedAttentionBackward(_ gradOutput: Tensor, q: Tensor, k: Tensor, v: Tensor,
                                   window: Int) -> (q: Tensor, k: Tensor, v: Tensor)
    /// Gradients of `gatedLinearAttention` from a zero initial state.
    func gatedLinearAttentionBackward(_ gradOutput: Tensor, q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor,
                                      chunkSize: Int) -> (q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor)
}
