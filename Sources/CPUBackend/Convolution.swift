import CKernels
import Tensor

/// Extents of an NDHWC volume.
struct VolumeShape {
    let n, d, h, w, c: Int

    init(_ shape: [Int]) {
        precondition(shape.count == 5, "expected an NDHWC volume, got shape \(shape)")
        (n, d, h, w, c) = (shape[0], shape[1], shape[2], shape[3], shape[4])
    }

    init(n: Int, d: Int, h: Int, w: Int, c: Int) {
        (self.n, self.d, self.h, self.w, self.c) = (n, d, h, w, c)
    }

    var dims: [Int] { [n, d, h, w, c] }
    var voxels: Int { n * d * h * w }
}

/// One convolution's shapes: rows of the implicit GEMM are output voxels, columns are `k³·Cin` taps.
struct ConvPlan {
    let input: VolumeShape
    let output: VolumeShape
    let geometry: ConvGeometry

    init(input: VolumeShape, outputChannels: Int, geometry: ConvGeometry) {
        self.input = input
        self.geometry = geometry
        output = VolumeShape(n: input.n, d: geometry.outputExtent(input.d), h: geometry.outputExtent(input.h),
                             w: geometry.outputExtent(input.w), c: outputChannels)
        precondition(output.d > 0 && output.h > 0 && output.w > 0, "convolution \(geometry) does not fit \(input.dims)")
    }

    var columns: Int { geometry.size * geometry.size * geometry.size * input.c }
    var weightShape: [Int] { [geometry.size, geometry.size, geometry.size, input.c, output.c] }

    /// Rows per im2col tile: about 1 MiB of scratch, so the tile stays in L2 while sgemm streams it.
    var tileRows: Int { max(16, (1 << 18) / columns) }

    /// Walks output rows `start..<start+count`, giving each row's index in the tile and its input corner.
    func forEachRow(start: Int, count: Int, _ body: (_ row: Int, _ batch: Int, _ z: Int, _ y: Int, _ x: Int) -> Void) {
        let s = geometry.stride, p = geometry.padding
        var x = start % output.w
        var rest = start / output.w
        var y = rest % output.h
        rest /= output.h
        var z = rest % output.d
        var batch = rest / output.d
        for row in 0..<count {
            body(row, batch, z * s - p, y * s - p, x * s - p)
            x += 1
            if x == output.w {
                x = 0
                y += 1
                if y == output.h {
                    y = 0
                    z += 1
                    if z == output.d {
                        z = 0
                        batch += 1
                    }
                }
            }
        }
    }

    /// Copies the receptive fields of `count` output rows into `columns`-wide rows of `tile` (zeros for padding).
    func im2col(_ source: UnsafePointer<Float>, start: Int, count: Int, into tile: UnsafeMutablePointer<Float>) {
        let k = geometry.size, cin = input.c, run = k * cin
        forEachRow(start: start, count: count) { row, batch, z0, y0, x0 in
            var destination = tile + row * columns
            let inside = x0 >= 0 && x0 + k <= input.w
            for kd in 0..<k {
                let z = z0 + kd
                for kh in 0..<k {
                    let y = y0 + kh
                    if z < 0 || z >= input.d || y < 0 || y >= input.h {
                        destination.update(repeating: 0, count: run)
                    } else {
                        let line = source + ((batch * input.d + z) * input.h + y) * input.w * cin
                        if inside {
                            destination.update(from: line + x0 * cin, count: run)
                        } else {
                            for kw in 0..<k {
                                let x = x0 + kw
                                if x < 0 || x >= input.w {
                                    (destination + kw * cin).update(repeating: 0, count: cin)
                                } else {
                                    (destination + kw * cin).update(from: line + x * cin, count: cin)
                                }
                            }
                        }
                    }
                    destination += run
                }
            }
        }
    }

    /// Adds the rows of `tile` back onto the input positions they were gathered from (the adjoint of `im2col`).
    func col2im(_ tile: UnsafePointer<Float>, start: Int, count: Int, into target: UnsafeMutablePointer<Float>) {
        let k = geometry.size, cin = input.c
        forEachRow(start: start, count: count) { row, batch, z0, y0, x0 in
            var source = tile + row * columns
            for kd in 0..<k {
                let z = z0 + kd
                for kh in 0..<k {
                    let y = y0 + kh
                    if z >= 0 && z < input.d && y >= 0 && y < input.h {
                        let line = target + ((batch * input.d + z) * input.h + y) * input.w * cin
                        for kw in 0..<k {
                            let x = x0 + kw
                            if x >= 0 && x < input.w {
                                let destination = line + x * cin
                                for channel in 0..<cin { destination[channel] += source[kw * cin + channel] }
                            }
                        }
                    }
                    source += k * cin
                }
            }
        }
    }
}

extension CPUBackend {
    public func conv3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor {
        let plan = ConvPlan(input: VolumeShape(input.shape), outputChannels: weight.shape.last ?? 0, geometry: geometry)
        precondition(weight.shape == plan.weightShape, "conv3d weight \(weight.shape) does not match \(plan.weightShape)")
        precondition(bias == nil || bias!.shape == [plan.output.c], "conv3d bias must be [\(plan.output.c)]")
        if geometry.stride == 1 && plan.output.c % 16 == 0 && Self.hasAVX512 {
            return conv3dDirect(input, weight: weight, bias: bias, plan: plan)
        }
        let rows = plan.output.voxels, cout = plan.output.c, tileRows = plan.tileRows
        let tiles = (rows + tileRows - 1) / tileRows
        let workers = min(threadCount, tiles)
        let tilePointers = (0..<workers).map { scratch[$0].reserve(tileRows * plan.columns) }
        let result = makeArray(count: rows * cout) { output in
            input.scalars.withUnsafeBufferPointer { source in
                weight.scalars.withUnsafeBufferPointer { weights in
                    parallel(workers) { worker in
                        let tile = tilePointers[worker]
                        for index in share(worker, of: workers, count: tiles) {
                            let start = index * tileRows, count = min(tileRows, rows - start)
                            plan.im2col(source.baseAddress!, start: start, count: count, into: tile)
                            BLAS.sgemm(transposeA: false, transposeB: false, m: count, n: cout, k: plan.columns,
                                       a: tile, lda: plan.columns, b: weights.baseAddress!, ldb: cout,
                                       beta: 0, c: output + start * cout, ldc: cout)
                        }
                    }
                }
            }
            if let bias {
                addRowVector(bias.scalars, to: output, rows: rows)
            }
        }
        return Tensor(shape: plan.output.dims, scalars: result)
    }

    /// Whether the direct AVX-512 convolution kernel can run here.
    static let hasAVX512 = ns_cpu_has_avx512f() == 1

    /// Runs a direct kernel over slabs of output planes. For each batch item the output planes are cut into
    /// slabs of at most 8; each worker takes a share of the slabs and, per slab, copies the input planes it
    /// reads into its own zero-padded scratch, `[planes + k − 1][H' + k − 1][pw][Cin]` with
    /// `pw = W' + k − 1 + NS_DIRECT_ROW` (D', H', W' the output extents). Scratch is thus a few planes per
    /// worker, not a padded copy of the volume. `body(worker, slab, pw, item, firstPlane, planes)` runs the kernel.
    private func forEachDirectSlab(_ input: Tensor, plan: ConvPlan,
                                   _ body: (_ worker: Int, _ slab: UnsafePointer<Float>, _ paddedWidth: Int, _ item: Int,
                                            _ firstPlane: Int, _ planes: Int) -> Void) {
        let k = plan.geometry.size, p = plan.geometry.padding, (d, h, w, cin) = (plan.input.d, plan.input.h, plan.input.w, plan.input.c)
        let out = plan.output
        let (ph, pw) = (out.h + k - 1, out.w + k - 1 + Int(NS_DIRECT_ROW))
        let slabPlanes = max(1, min(8, out.d / (2 * threadCount)))
        let slabs = (out.d + slabPlanes - 1) / slabPlanes
        let workers = min(threadCount, slabs)
        let slabCount = (slabPlanes + k - 1) * ph * pw * cin
        let buffers = (0..<workers).map { paddedSlabs[$0].reserve(slabCount) }
        input.scalars.withUnsafeBufferPointer { source in
            for item in 0..<out.n {
                parallel(workers) { worker in
                    let slab = buffers[worker]
                    for index in share(worker, of: workers, count: slabs) {
                        let first = index * slabPlanes, planes = min(slabPlanes, out.d - first)
                        slab.update(repeating: 0, count: (planes + k - 1) * ph * pw * cin)
                        for paddedPlane in 0..<(planes + k - 1) {
                            let z = first + paddedPlane - p
                            guard z >= 0 && z < d else { continue }
                            for y in 0..<h {
                                (slab + ((paddedPlane * ph + y + p) * pw + p) * cin)
                                    .update(from: source.baseAddress! + (((item * d + z) * h + y) * w) * cin, count: w * cin)
                            }
                        }
                        body(worker, slab, pw, item, first, planes)
                    }
                }
            }
        }
    }

    /// Stride-1 convolution by register blocking over zero-padded slabs: no im2col tile and no GEMM
    /// packing, so the input is read about once per kernel row instead of copied k³ times.
    private func conv3dDirect(_ input: Tensor, weight: Tensor, bias: Tensor?, plan: ConvPlan) -> Tensor {
        let (out, cout) = (plan.output, plan.output.c)
        let (k, cin, planeSize) = (Int32(plan.geometry.size), Int32(plan.input.c), out.h * out.w * cout)
        let result = makeArray(count: out.voxels * cout) { output in
            weight.scalars.withUnsafeBufferPointer { weights in
                forEachDirectSlab(input, plan: plan) { _, slab, pw, item, first, planes in
                    ns_conv3d_direct(slab, Int32(pw), weights.baseAddress!, bias?.scalars, Int32(out.h), Int32(out.w), k, cin,
                                     Int32(cout), 0, Int32(planes), output + (item * out.d + first) * planeSize)
                }
            }
        }
        return Tensor(shape: out.dims, scalars: result)
    }

    /// Stride-1 weight gradient by register blocking: per worker a partial `[k³·Cin, Cout]` sum over its slabs.
    private func conv3dDirectWeightGradient(_ gradOutput: Tensor, input: Tensor, plan: ConvPlan) -> Tensor {
        let (out, cout) = (plan.output, plan.output.c)
        let (k, cin, planeSize) = (Int32(plan.geometry.size), Int32(plan.input.c), out.h * out.w * cout)
        let weightCount = plan.columns * cout
        let partials = (0..<threadCount).map { scratch[$0].reserve(weightCount) }
        for partial in partials { partial.update(repeating: 0, count: weightCount) }
        gradOutput.scalars.withUnsafeBufferPointer { gradients in
            forEachDirectSlab(input, plan: plan) { worker, slab, pw, item, first, planes in
                ns_conv3d_direct_weight_gradient(slab, Int32(pw), gradients.baseAddress! + (item * out.d + first) * planeSize,
                                                 Int32(out.h), Int32(out.w), k, cin, Int32(cout), 0, Int32(planes), partials[worker])
            }
        }
        let sums = makeZeroArray(count: weightCount) { total in
            for partial in partials {
                for index in 0..<weightCount { total[index] += partial[index] }
            }
        }
        return Tensor(shape: plan.weightShape, scalars: sums)
    }

    public func conv3dBackwardInput(_ gradOutput: Tensor, weight: Tensor, inputShape: [Int], geometry: ConvGeometry) -> Tensor {
        let plan = ConvPlan(input: VolumeShape(inputShape), outputChannels: weight.shape.last ?? 0, geometry: geometry)
        precondition(weight.shape == plan.weightShape, "conv3d weight \(weight.shape) does not match \(plan.weightShape)")
        precondition(gradOutput.shape == plan.output.dims, "gradient \(gradOutput.shape) does not match output \(plan.output.dims)")
        if geometry.stride == 1 && geometry.padding < geometry.size {
            // A stride-1 input gradient is a forward convolution with the kernel flipped and its channels swapped:
            // a gather through the fast forward path instead of a scatter-add.
            let flipped = ConvGeometry(size: geometry.size, stride: 1, padding: geometry.size - 1 - geometry.padding)
            return conv3d(gradOutput, weight: flippedTransposed(weight), bias: nil, geometry: flipped)
        }
        let cout = plan.output.c, tileRows = plan.tileRows
        let planeRows = plan.output.h * plan.output.w
        let planes = plan.output.n * plan.output.d
        // Chunks of whole output planes; chunk i and i + 2 touch disjoint input planes, so the even
        // chunks run in parallel, then the odd ones.
        let minimumPlanes = (geometry.size + geometry.stride - 1) / geometry.stride
        let chunkPlanes = max(minimumPlanes, planes / max(1, 2 * threadCount))
        let chunks = (planes + chunkPlanes - 1) / chunkPlanes
        let tilePointers = (0..<threadCount).map { scratch[$0].reserve(tileRows * plan.columns) }
        let result = makeZeroArray(count: plan.input.voxels * plan.input.c) { target in
            gradOutput.scalars.withUnsafeBufferPointer { gradients in
                weight.scalars.withUnsafeBufferPointer { weights in
                    for parity in 0..<2 {
                        let phase = stride(from: parity, to: chunks, by: 2).map { $0 }
                        if phase.isEmpty { continue }
                        let workers = min(threadCount, phase.count)
                        parallel(workers) { worker in
                            let tile = tilePointers[worker]
                            for chunk in share(worker, of: workers, count: phase.count).map({ phase[$0] }) {
                                let end = min(planes, (chunk + 1) * chunkPlanes) * planeRows
                                var start = chunk * chunkPlanes * planeRows
                                while start < end {
                                    let count = min(tileRows, end - start)
                                    BLAS.sgemm(transposeA: false, transposeB: true, m: count, n: plan.columns, k: cout,
                                               a: gradients.baseAddress! + start * cout, lda: cout,
                                               b: weights.baseAddress!, ldb: cout, beta: 0, c: tile, ldc: plan.columns)
                                    plan.col2im(tile, start: start, count: count, into: target)
                                    start += count
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: inputShape, scalars: result)
    }

    public func conv3dBackwardWeight(_ gradOutput: Tensor, input: Tensor, geometry: ConvGeometry) -> (weight: Tensor, bias: Tensor) {
        let plan = ConvPlan(input: VolumeShape(input.shape), outputChannels: gradOutput.shape.last ?? 0, geometry: geometry)
        precondition(gradOutput.shape == plan.output.dims, "gradient \(gradOutput.shape) does not match output \(plan.output.dims)")
        if geometry.stride == 1 && plan.input.c % 8 == 0 && plan.output.c % 16 == 0 && Self.hasAVX512 {
            return (conv3dDirectWeightGradient(gradOutput, input: input, plan: plan),
                    reduceToShape(gradOutput, shape: [plan.output.c]))
        }
        let rows = plan.output.voxels, cout = plan.output.c, tileRows = plan.tileRows
        let weightCount = plan.columns * cout
        let tiles = (rows + tileRows - 1) / tileRows
        let workers = min(threadCount, tiles)
        let partialCount = weightCount + cout
        let buffers = (0..<workers).map { scratch[$0].reserve(tileRows * plan.columns + partialCount) }
        input.scalars.withUnsafeBufferPointer { source in
            gradOutput.scalars.withUnsafeBufferPointer { gradients in
                parallel(workers) { worker in
                    let tile = buffers[worker], partial = buffers[worker] + tileRows * plan.columns
                    partial.update(repeating: 0, count: partialCount)
                    for index in share(worker, of: workers, count: tiles) {
                        let start = index * tileRows, count = min(tileRows, rows - start)
                        plan.im2col(source.baseAddress!, start: start, count: count, into: tile)
                        let block = gradients.baseAddress! + start * cout
                        BLAS.sgemm(transposeA: true, transposeB: false, m: plan.columns, n: cout, k: count,
                                   a: tile, lda: plan.columns, b: block, ldb: cout, beta: 1, c: partial, ldc: cout)
                        sumRows(block, rows: count, columns: cout, into: partial + weightCount)
                    }
                }
            }
        }
        let sums = makeZeroArray(count: partialCount) { total in
            for buffer in buffers {
                let partial = buffer + tileRows * plan.columns
                for index in 0..<partialCount { total[index] += partial[index] }
            }
        }
        return (Tensor(shape: plan.weightShape, scalars: Array(sums[..<weightCount])),
                Tensor(shape: [cout], scalars: Array(sums[weightCount...])))
    }

    /// `W′[a, b, c, o, i] = W[k−1−a, k−1−b, k−1−c, i, o]` for a `[k, k, k, Cin, Cout]` weight.
    private func flippedTransposed(_ weight: Tensor) -> Tensor {
        let (k, cin, cout) = (weight.shape[0], weight.shape[3], weight.shape[4])
        var result = [Float](repeating: 0, count: weight.count)
        for tap in 0..<(k * k * k) {
            let source = (k * k * k - 1 - tap) * cin * cout, target = tap * cin * cout
            for i in 0..<cin {
                for o in 0..<cout { result[target + o * cin + i] = weight.scalars[source + i * cout + o] }
            }
        }
        return Tensor(shape: [k, k, k, cout, cin], scalars: result)
    }

    public func convTranspose3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor {
        let shape = VolumeShape(input.shape)
        precondition(weight.rank == 5, "convTranspose3d weight must be [k, k, k, Cout, Cin], got \(weight.shape)")
        let outputShape = [shape.n, geometry.inputExtent(shape.d), geometry.inputExtent(shape.h),
                           geometry.inputExtent(shape.w), weight.shape[3]]
        var result = conv3dBackwardInput(input, weight: weight, inputShape: outputShape, geometry: geometry)
        if let bias {
            precondition(bias.shape == [weight.shape[3]], "convTranspose3d bias must be [\(weight.shape[3])]")
            result.scalars.withUnsafeMutableBufferPointer { output in
                addRowVector(bias.scalars, to: output.baseAddress!, rows: output.count / bias.count)
            }
        }
        return result
    }
}

/// `rows[r] += vector` for `rows` contiguous rows of `vector.count` values.
func addRowVector(_ vector: [Float], to rows: UnsafeMutablePointer<Float>, rows count: Int) {
    vector.withUnsafeBufferPointer { v in
        let width = v.count
        for row in 0..<count {
            let line = rows + row * width
            for column in 0..<width { line[column] += v[column] }
        }
    }
}

/// `into[c] += Σ_r matrix[r, c]`.
func sumRows(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        let line = matrix + row * columns
        for column in 0..<columns { sums[column] += line[column] }
    }
}
