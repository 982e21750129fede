import CPUBackend
import Tensor
import Testing

/// Spike counts 0…4 with about 70 % zeros, `[N, D, H, W, C]`.
func sparseCounts(shape: [Int], zeroFraction: Float, using generator: inout SeededGenerator) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
        Float.random(in: 0..<1, using: &generator) < zeroFraction ? 0 : Float(Int.random(in: 1...4, using: &generator))
    })
}

@Suite(.enabled(if: CPUBackend.hasSpikeKernels, "this CPU lacks AVX-512 VNNI; the int8 and event kernels cannot run"))
struct SpikeKernelTests {
    let backend = CPUBackend(threadCount: 2)

    @Test func int8ConvolutionEqualsFP32ConvolutionWithTheDequantizedWeight() {
        var generator = SeededGenerator(seed: 4)
        let counts = sparseCounts(shape: [2, 5, 6, 11, 8], zeroFraction: 0.7, using: &generator)
        let weight = QuantizedConvWeight(weight: Tensor.randomNormal(shape: [3, 3, 3, 8, 32], using: &generator),
                                         bias: Tensor.randomNormal(shape: [32], using: &generator))
        let integer = backend.conv3dInt8(counts, weight: weight)
        let reference = backend.conv3d(counts, weight: weight.dequantized, bias: Tensor(shape: [32], scalars: weight.bias),
                                       geometry: ConvGeometry(size: 3, padding: 1))
        #expect(integer.maxAbsDifference(reference) < 1e-3)
    }

    @Test func eventDrivenConvolutionEqualsDenseConvolution() {
        var generator = SeededGenerator(seed: 5)
        let counts = sparseCounts(shape: [2, 4, 7, 5, 6], zeroFraction: 0.7, using: &generator)
        let weight = Tensor.randomNormal(shape: [3, 3, 3, 6, 16], using: &generator)
        let bias = Tensor.randomNormal(shape: [16], using: &generator)
        let events = backend.conv3dEvents(counts, weight: weight, bias: bias)
        let dense = backend.conv3d(counts, weight: weight, bias: bias, geometry: ConvGeometry(size: 3, padding: 1))
        #expect(events.maxAbsDifference(dense) < 1e-3)
    }
}
