import Tensor

/// How the GEMM shader tiles `C[M, N]`: a `workgroupM × workgroupN` workgroup computes a
/// `(workgroupM·microM) × (workgroupN·microN)` block, stepping `tileK` along the reduction.
/// These are the shader's specialisation constants 0–4.
struct GemmTiling {
    let workgroupM, workgroupN, microM, microN, tileK: Int

    /// A tiling for `columns` output columns: narrow workgroups for few channels, `threads` invocations,
    /// and shared tiles within half of `sharedBytes`.
    init(columns: Int, threads: Int, sharedBytes: Int) {
        microM = 4
        microN = 4
        var workgroupN = 1
        while workgroupN * microN < columns && workgroupN < 16 { workgroupN *= 2 }
        self.workgroupN = workgroupN
        workgroupM = max(1, threads / workgroupN)
        var tileK = 16
        while (workgroupM * microM + workgroupN * microN) * tileK * 4 > sharedBytes / 2 && tileK > 1 { tileK /= 2 }
        self.tileK = tileK
    }

    var constants: [UInt32] { [workgroupM, workgroupN, microM, microN, tileK].map(UInt32.init) }

    /// Workgroups for `rows × columns`: row tiles along x (spilling into z past 65 535), column tiles along y.
    func groups(rows: Int, columns: Int) -> (x: Int, y: Int, z: Int) {
        let rowTiles = (rows + workgroupM * microM - 1) / (workgroupM * microM)
        let x = min(rowTiles, 65_535)
        return (x, (columns + workgroupN * microN - 1) / (workgroupN * microN), x == 0 ? 0 : (rowTiles + x - 1) / x)
    }
}

/// Workgroups of `size` invocations for `count` independent items, laid out as a 2-D grid.
func groups(count: Int, size: Int = VulkanBackend.workgroupSize) -> (x: Int, y: Int, z: Int) {
    let total = (count + size - 1) / size
    let x = min(total, 65_535)
    return (x, x == 0 ? 0 : (total + x - 1) / x, 1)
}

extension VulkanBackend {
    /// Invocations per workgroup of the one-dimensional shaders.
    static let workgroupSize = 128

    /// Invocations per workgroup of the shaders that reduce in shared memory: a power of two, at most 256
    /// and within the device's limit (Vulkan guarantees 128).
    var reductionWorkgroupSize: Int {
        var size = 256
        while size > device.physical.maxWorkgroupInvocations { size /= 2 }
        return size
    }

    func gemmTiling(columns: Int) -> GemmTiling {
        GemmTiling(columns: columns, threads: deviceKind == .cpu ? 64 : min(256, device.physical.maxWorkgroupInvocations),
                   sharedBytes: device.physical.maxSharedMemoryBytes)
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul takes 2-D operands, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == (transposeB ? b.shape[1] : b.shape[0]), "matmul inner extents differ: \(a.shape) · \(b.shape)")
        let tiling = gemmTiling(columns: n)
        let result = run { recorder in
            let output = try recorder.array(count: m * n)
            recorder.dispatch(.matmul, constants: tiling.constants + [transposeA ? 1 : 0, transposeB ? 1 : 0],
                              arrays: [try recorder.upload(a), try recorder.upload(b), output],
                              push: [m, n, k, a.shape[1], b.shape[1]], groups: tiling.groups(rows: m, columns: n))
            recorder.download(output)
        }
        return Tensor(shape: [m, n], scalars: result[0])
    }

    public func conv3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor {
        precondition(input.rank == 5, "expected an NDHWC volume, got shape \(input.shape)")
        let (n, d, h, w, cin) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
        let k = geometry.size, cout = weight.shape.last ?? 0
        let output = [n, geometry.outputExtent(d), geometry.outputExtent(h), geometry.outputExtent(w), cout]
        precondition(output[1] > 0 && output[2] > 0 && output[3] > 0, "convolution \(geometry) does not fit \(input.shape)")
        precondition(weight.shape == [k, k, k, cin, cout], "conv3d weight \(weight.shape) does not match [\(k), \(k), \(k), \(cin), \(cout)]")
        precondition(bias == nil || bias!.shape == [cout], "conv3d bias must be [\(cout)]")
        let voxels = output[0] * output[1] * output[2] * output[3]
        let tiling = gemmTiling(columns: cout)
        let result = run { recorder in
            let y = try recorder.array(count: voxels * cout)
            recorder.dispatch(.conv3d, constants: tiling.constants,
                              arrays: [try recorder.upload(input), try recorder.upload(weight),
                                       try recorder.upload(bias ?? Tensor(zeros: [cout])), y],
                              push: [d, h, w, cin, output[1], output[2], output[3], cout,
                                     k, geometry.stride, geometry.padding, voxels],
                              groups: tiling.groups(rows: voxels, columns: cout))
            recorder.download(y)
        }
        return Tensor(shape: output, scalars: result[0])
    }

    public func convTranspose3d(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry) -> Tensor {
        precondition(input.rank == 5, "expected an NDHWC volume, got shape \(input.shape)")
        let (n, d, h, w, cin) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3], input.shape[4])
        let k = geometry.size
        precondition(weight.rank == 5 && weight.shape[0] == k && weight.shape[1] == k && weight.shape[2] == k
                     && weight.shape[4] == cin, "convTranspose3d weight must be [\(k), \(k), \(k), Cout, \(cin)], got \(weight.shape)")
        let cout = weight.shape[3]
        precondition(bias == nil || bias!.shape == [cout], "convTranspose3d bias must be [\(cout)]")
        let output = [n, geometry.inputExtent(d), geometry.inputExtent(h), geometry.inputExtent(w), cout]
        precondition(output[1] > 0 && output[2] > 0 && output[3] > 0, "transposed convolution \(geometry) does not fit \(input.shape)")
        let count = output.reduce(1, *)
        let result = run { recorder in
            let y = try recorder.array(count: count)
            recorder.dispatch(.convTranspose3d, constants: [UInt32(Self.workgroupSize)],
                              arrays: [try recorder.upload(input), try recorder.upload(weight),
                                       try recorder.upload(bias ?? Tensor(zeros: [cout])), y],
                              push: [d, h, w, cin, output[1], output[2], output[3], cout,
                                     k, geometry.stride, geometry.padding, count],
                              groups: groups(count: count))
            recorder.download(y)
        }
        return Tensor(shape: output, scalars: result[0])
    }

    public func maxPool3d(_ input: Tensor, size: Int) -> Tensor { pool(input, size: size, average: false) }

    public func avgPool3d(_ input: Tensor, size: Int) -> Tensor { pool(input, size: size, average: true) }

    private func pool(_ input: Tensor, size: Int, average: Bool) -> Tensor {
        precondition(input.rank == 5, "expected an NDHWC volume, got shape \(input.shape)")
        let s = input.shape
        precondition(size > 0 && s[1] % size == 0 && s[2] % size == 0 && s[3] % size == 0,
                     "pooling by \(size) needs extents divisible by it, got \(s)")
        let output = [s[0], s[1] / size, s[2] / size, s[3] / size, s[4]]
        let count = output.reduce(1, *)
        let result = run { recorder in
            let y = try recorder.array(count: count)
            recorder.dispatch(.pool3d, constants: [UInt32(Self.workgroupSize), average ? 1 : 0],
                              arrays: [try recorder.upload(input), y],
                              push: [output[1], output[2], output[3], output[4], size, count], groups: groups(count: count))
            recorder.download(y)
        }
        return Tensor(shape: output, scalars: result[0])
    }
}
