import Tensor

extension VulkanBackend {
    /// Records a copy of `rows` rows of `width` values between strided layouts (see `copy.comp`);
    /// with `ids`, row r reads source row `ids[r]`.
    private func copyRows(_ recorder: Recorder, from source: DeviceArray, to destination: DeviceArray, ids: DeviceArray? = nil,
                          rows: Int, width: Int, source sourceLayout: (stride: Int, offset: Int),
                          destination destinationLayout: (stride: Int, offset: Int)) {
        recorder.dispatch(.copy, constants: [UInt32(Self.workgroupSize), ids == nil ? 0 : 1],
                          arrays: [source, ids ?? source, destination],
                          push: [rows, width, sourceLayout.stride, sourceLayout.offset,
                                 destinationLayout.stride, destinationLayout.offset],
                          groups: groups(count: rows * width))
    }

    public func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        let shape = ShapeArithmetic.concatenated(parts.map(\.shape), axis: axis)
        let (outer, inner) = ShapeArithmetic.split(shape, axis: axis)
        let rowWidth = shape[axis] * inner
        let result = run { recorder in
            let output = try recorder.array(count: shape.reduce(1, *))
            var offset = 0
            for part in parts {
                let width = part.shape[axis] * inner
                copyRows(recorder, from: try recorder.upload(part), to: output, rows: outer, width: width,
                         source: (width, 0), destination: (rowWidth, offset))
                offset += width
            }
            recorder.download(output)
        }
        return Tensor(shape: shape, scalars: result[0])
    }

    public func slice(_ input: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        let (outer, inner) = ShapeArithmetic.split(input.shape, axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= input.shape[axis], "slice \(range) out of \(input.shape)")
        var shape = input.shape
        shape[axis] = range.count
        let width = range.count * inner
        let result = run { recorder in
            let output = try recorder.array(count: outer * width)
            copyRows(recorder, from: try recorder.upload(input), to: output, rows: outer, width: width,
                     source: (input.shape[axis] * inner, range.lowerBound * inner), destination: (width, 0))
            recorder.download(output)
        }
        return Tensor(shape: shape, scalars: result[0])
    }

    public func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
        precondition(table.rank == 2, "embedding table must be [vocabulary, features]")
        for id in ids { precondition(id >= 0 && Int(id) < table.shape[0], "token id \(id) outside the vocabulary") }
        let width = table.shape[1]
        let result = run { recorder in
            let output = try recorder.array(count: ids.count * width)
            copyRows(recorder, from: try recorder.upload(table), to: output, ids: try recorder.upload(ids),
                     rows: ids.count, width: width, source: (width, 0), destination: (width, 0))
            recorder.download(output)
        }
        return Tensor(shape: [ids.count, width], scalars: result[0])
    }
}
