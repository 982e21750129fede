import CKernels
import Tensor

/// A convolution weight quantised for spike-count inputs: symmetric int8 per output channel
/// (`w ≈ q · scale[co]`, `|q| ≤ 127`), packed for the VNNI kernel.
public struct QuantizedConvWeight: Sendable {
    /// `[k, k, k, Cin, Cout]` of the original weight.
    public let shape: [Int]
    public let scale: [Float]
    public let bias: [Float]
    let quantized: [Int8]
    let packed: [Int8]

    /// Quantises `weight` `[k, k, k, Cin, Cout]` (Cin a multiple of 4, Cout of 16) and `bias` `[Cout]`.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 5 && weight.shape[0] == weight.shape[1] && weight.shape[1] == weight.shape[2],
                     "expected a [k, k, k, Cin, Cout] weight, got \(weight.shape)")
        let (taps, cin, cout) = (weight.shape[0] * weight.shape[1] * weight.shape[2], weight.shape[3], weight.shape[4])
        precondition(cin % 4 == 0 && cout % 16 == 0, "the int8 kernel needs Cin % 4 == 0 and Cout % 16 == 0, got \(cin), \(cout)")
        shape = weight.shape
        var largest = [Float](repeating: 0, count: cout)
        for (index, value) in weight.scalars.enumerated() { largest[index % cout] = max(largest[index % cout], abs(value)) }
        let scale = largest.map { $0 > 0 ? $0 / 127 : 1 }
        quantized = weight.scalars.enumerated().map { index, value in
            Int8(max(-127, min(127, (value / scale[index % cout]).rounded(.toNearestOrEven))))
        }
        var packed = [Int8](repeating: 0, count: quantized.count)
        ns_pack_weights_s8(quantized, Int32(taps), Int32(cin), Int32(cout), &packed)
        self.scale = scale
        self.packed = packed
        self.bias = bias?.scalars ?? [Float](repeating: 0, count: cout)
    }

    /// The weight the int8 kernel effectively applies, `q · scale`, in fp32.
    public var dequantized: Tensor {
        Tensor(shape: shape, scalars: quantized.enumerated().map { Float($1) * scale[$0 % scale.count] })
    }
}

extension CPUBackend {
    /// Whether this CPU runs the int8 (AVX-512 VNNI) and event-driven (AVX-512) spike kernels.
    public static let hasSpikeKernels = ns_cpu_has_avx512_vnni() == 1

    /// Stride-1 "same" convolution of spike counts (integers 0…255 in `[N, D, H, W, Cin]`) with an int8
    /// weight: exact integer accumulation (vpdpbusd), then `× scale + bias` in fp32. Needs `hasSpikeKernels`.
    public func conv3dInt8(_ counts: Tensor, weight: QuantizedConvWeight) -> Tensor {
        precondition(Self.hasSpikeKernels, "conv3dInt8 needs AVX-512 VNNI")
        let shape = VolumeShape(counts.shape), k = weight.shape[0], pad = k / 2, cout = weight.shape[4]
        precondition(shape.c == weight.shape[3] && k % 2 == 1, "counts \(counts.shape) do not fit weight \(weight.shape)")
        var padded = [UInt8](repeating: 0, count: (shape.d + 2 * pad) * (shape.h + 2 * pad) * (shape.w + 2 * pad) * shape.c)
        let itemInput = shape.d * shape.h * shape.w * shape.c, itemOutput = shape.d * shape.h * shape.w * cout
        let workers = min(threadCount, shape.d)
        let result = makeArray(count: shape.n * itemOutput) { output in
            for item in 0..<shape.n {
                var invalid = [Int32](repeating: 0, count: workers)
                counts.scalars.withUnsafeBufferPointer { source in
                    padded.withUnsafeMutableBufferPointer { target in
                        invalid.withUnsafeMutableBufferPointer { invalid in
                            parallel(workers) { worker in
                                let planes = share(worker, of: workers, count: shape.d)
                                invalid[worker] = ns_pad_counts_u8(source.baseAddress! + item * itemInput, Int32(shape.d), Int32(shape.h),
                                                                   Int32(shape.w), Int32(shape.c), Int32(pad), Int32(planes.lowerBound),
                                                                   Int32(planes.upperBound), target.baseAddress!)
                            }
                        }
                    }
                }
                precondition(invalid.allSatisfy { $0 == 0 }, "conv3dInt8 takes integer counts in 0…255")
                padded.withUnsafeBufferPointer { input in
                    weight.packed.withUnsafeBufferPointer { packed in
                        parallel(workers) { worker in
                            let planes = share(worker, of: workers, count: shape.d)
                            ns_conv3d_u8s8(input.baseAddress!, packed.baseAddress!, weight.scale, weight.bias,
                                           Int32(shape.d), Int32(shape.h), Int32(shape.w), Int32(k), Int32(shape.c), Int32(cout),
                                           Int32(planes.lowerBound), Int32(planes.upperBound), output + item * itemOutput)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [shape.n, shape.d, shape.h, shape.w, cout], scalars: result)
    }

    /// Event-driven stride-1 "same" convolution: only non-zero counts (integers in `[N, D, H, W, Cin]`)
    /// do work, each adding `count × weight row` to the outputs it reaches. Weight `[k, k, k, Cin, Cout]`
    /// fp32 with Cout a multiple of 16. Needs `hasSpikeKernels`.
    public func conv3dEvents(_ counts: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(Self.hasSpikeKernels, "conv3dEvents needs AVX-512")
        let shape = VolumeShape(counts.shape), k = weight.shape[0], cout = weight.shape[4]
        precondition(weight.shape == [k, k, k, shape.c, cout] && k % 2 == 1 && cout % 16 == 0,
                     "weight \(weight.shape) does not fit counts \(counts.shape) (odd k, Cout % 16 == 0)")
        let planeSize = shape.h * shape.w * shape.c, itemOutput = shape.d * shape.h * shape.w * cout
        let list = events.reserve(shape.d * planeSize)
        var eventCounts = [Int32](repeating: 0, count: shape.d)
        let workers = min(threadCount, shape.d)
        let result = makeArray(count: shape.n * itemOutput) { output in
            for item in 0..<shape.n {
                let target = output + item * itemOutput
                target.initialize(repeating: 0, count: itemOutput)
                if let bias { addRowVector(bias.scalars, to: target, rows: itemOutput / cout) }
                counts.scalars.withUnsafeBufferPointer { source in
                    eventCounts.withUnsafeMutableBufferPointer { lengths in
                        parallel(workers) { worker in
                            for z in share(worker, of: workers, count: shape.d) {
                                lengths[z] = ns_collect_events(source.baseAddress! + (item * shape.d + z) * planeSize,
                                                               Int32(shape.h), Int32(shape.w), Int32(shape.c), list + z * planeSize)
                            }
                        }
                    }
                }
                let planes = (0..<shape.d).map { Optional(UnsafePointer(list + $0 * planeSize)) }
                weight.scalars.withUnsafeBufferPointer { weights in
                    parallel(workers) { worker in
                        let range = share(worker, of: workers, count: shape.d)
                        ns_conv3d_events(planes, eventCounts, weights.baseAddress!, Int32(shape.d), Int32(shape.h),
                                         Int32(shape.w), Int32(k), Int32(shape.c), Int32(cout),
                                         Int32(range.lowerBound), Int32(range.upperBound), target)
                    }
                }
            }
        }
        return Tensor(shape: [shape.n, shape.d, shape.h, shape.w, cout], scalars: result)
    }
}
