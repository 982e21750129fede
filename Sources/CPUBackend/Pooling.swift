import Tensor

extension CPUBackend {
    /// Output extents of non-overlapping `size`³ pooling, checking that they divide.
    private func pooledShape(_ shape: VolumeShape, size: Int) -> VolumeShape {
        precondition(size > 0 && shape.d % size == 0 && shape.h % size == 0 && shape.w % size == 0,
                     "pooling by \(size) needs extents divisible by it, got \(shape.dims)")
        return VolumeShape(n: shape.n, d: shape.d / size, h: shape.h / size, w: shape.w / size, c: shape.c)
    }

    /// Calls `body(outputVoxel, inputVoxel)` for every input voxel of every pooling window.
    private func forEachWindowVoxel(_ input: VolumeShape, _ output: VolumeShape, size: Int,
                                    _ body: (_ outputVoxel: Int, _ inputVoxel: Int) -> Void) {
        for batch in 0..<output.n {
            for z in 0..<output.d {
                for y in 0..<output.h {
                    for x in 0..<output.w {
                        let outputVoxel = ((batch * output.d + z) * output.h + y) * output.w + x
                        for dz in 0..<size {
                            for dy in 0..<size {
                                let line = ((batch * input.d + z * size + dz) * input.h + y * size + dy) * input.w + x * size
                                for dx in 0..<size { body(outputVoxel, line + dx) }
                            }
                        }
                    }
                }
            }
        }
    }

    public func maxPool3d(_ input: Tensor, size: Int) -> Tensor {
        let shape = VolumeShape(input.shape), pooled = pooledShape(shape, size: size), c = shape.c
        let result = makeArray(count: pooled.voxels * c) { output in
            output.initialize(repeating: -.infinity, count: pooled.voxels * c)
            input.scalars.withUnsafeBufferPointer { source in
                forEachWindowVoxel(shape, pooled, size: size) { outputVoxel, inputVoxel in
                    let o = output + outputVoxel * c, i = source.baseAddress! + inputVoxel * c
                    for channel in 0..<c { o[channel] = max(o[channel], i[channel]) }
                }
            }
        }
        return Tensor(shape: pooled.dims, scalars: result)
    }

    public func maxPool3dBackward(_ gradOutput: Tensor, input: Tensor, output: Tensor, size: Int) -> Tensor {
        let shape = VolumeShape(input.shape), pooled = pooledShape(shape, size: size), c = shape.c
        precondition(gradOutput.shape == pooled.dims && output.shape == pooled.dims, "maxPool3dBackward shapes differ")
        var taken = [Bool](repeating: false, count: pooled.voxels * c)
        let result = makeZeroArray(count: input.count) { target in
            input.scalars.withUnsafeBufferPointer { source in
                output.scalars.withUnsafeBufferPointer { maxima in
                    gradOutput.scalars.withUnsafeBufferPointer { gradients in
                        forEachWindowVoxel(shape, pooled, size: size) { outputVoxel, inputVoxel in
                            for channel in 0..<c where !taken[outputVoxel * c + channel]
                                && source[inputVoxel * c + channel] == maxima[outputVoxel * c + channel] {
                                taken[outputVoxel * c + channel] = true
                                target[inputVoxel * c + channel] = gradients[outputVoxel * c + channel]
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: input.shape, scalars: result)
    }

    public func avgPool3d(_ input: Tensor, size: Int) -> Tensor {
        let shape = VolumeShape(input.shape), pooled = pooledShape(shape, size: size), c = shape.c
        let scale = 1 / Float(size * size * size)
        let result = makeZeroArray(count: pooled.voxels * c) { output in
            input.scalars.withUnsafeBufferPointer { source in
                forEachWindowVoxel(shape, pooled, size: size) { outputVoxel, inputVoxel in
                    let o = output + outputVoxel * c, i = source.baseAddress! + inputVoxel * c
                    for channel in 0..<c { o[channel] += i[channel] * scale }
                }
            }
        }
        return Tensor(shape: pooled.dims, scalars: result)
    }

    public func avgPool3dBackward(_ gradOutput: Tensor, inputShape: [Int], size: Int) -> Tensor {
        let shape = VolumeShape(inputShape), pooled = pooledShape(shape, size: size), c = shape.c
        precondition(gradOutput.shape == pooled.dims, "avgPool3dBackward gradient \(gradOutput.shape) is not \(pooled.dims)")
        let scale = 1 / Float(size * size * size)
        let result = makeArray(count: shape.voxels * c) { target in
            gradOutput.scalars.withUnsafeBufferPointer { gradients in
                forEachWindowVoxel(shape, pooled, size: size) { outputVoxel, inputVoxel in
                    let t = target + inputVoxel * c, g = gradients.baseAddress! + outputVoxel * c
                    for channel in 0..<c { t[channel] = g[channel] * scale }
                }
            }
        }
        return Tensor(shape: inputShape, scalars: result)
    }
}
