/// Differentiable ops for convolutional networks on NDHWC volumes.
extension Graph {
    /// Adds `gradient` to `variable.grad` when the variable wants one.
    func send(_ gradient: @autoclosure () -> Tensor, to variable: Variable?) {
        if let variable, variable.requiresGradient { variable.accumulate(gradient()) }
    }

    public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let value = backend.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        return result(value, of: [a, b]) { [self] g in
            let backend = trainer
            if a.requiresGradient {
                a.accumulate(transposeA ? backend.matmul(b.value, g, transposeA: transposeB, transposeB: true)
                                        : backend.matmul(g, b.value, transposeA: false, transposeB: !transposeB))
            }
            if b.requiresGradient {
                b.accumulate(transposeB ? backend.matmul(g, a.value, transposeA: true, transposeB: transposeA)
                                        : backend.matmul(a.value, g, transposeA: !transposeA, transposeB: false))
            }
        }
    }

    /// `x · weight + bias` for `x` `[rows, in]`, weight `[in, out]`, bias `[out]`.
    public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
        let product = matmul(x, weight)
        guard let bias else { return product }
        return add(product, bias)
    }

    public func conv3d(_ x: Variable, weight: Variable, bias: Variable?, geometry: ConvGeometry) -> Variable {
        let value = backend.conv3d(x.value, weight: weight.value, bias: bias?.value, geometry: geometry)
        return result(value, of: [x, weight] + (bias.map { [$0] } ?? [])) { [self] g in
            let backend = trainer
            send(backend.conv3dBackwardInput(g, weight: weight.value, inputShape: x.shape, geometry: geometry), to: x)
            if weight.requiresGradient || bias?.requiresGradient == true {
                let gradients = backend.conv3dBackwardWeight(g, input: x.value, geometry: geometry)
                send(gradients.weight, to: weight)
                send(gradients.bias, to: bias)
            }
        }
    }

    /// Transposed convolution, weight `[k, k, k, Cout, Cin]` (see `Backend.convTranspose3d`).
    public func convTranspose3d(_ x: Variable, weight: Variable, bias: Variable?, geometry: ConvGeometry) -> Variable {
        let value = backend.convTranspose3d(x.value, weight: weight.value, bias: bias?.value, geometry: geometry)
        return result(value, of: [x, weight] + (bias.map { [$0] } ?? [])) { [self] g in
            let backend = trainer
            send(backend.conv3d(g, weight: weight.value, bias: nil, geometry: geometry), to: x)
            if weight.requiresGradient || bias?.requiresGradient == true {
                send(backend.conv3dBackwardWeight(x.value, input: g, geometry: geometry).weight, to: weight)
                send(backend.reduceToShape(g, shape: [value.shape[4]]), to: bias)
            }
        }
    }

    public func maxPool3d(_ x: Variable, size: Int) -> Variable {
        let value = backend.maxPool3d(x.value, size: size)
        return result(value, of: [x]) { [self] g in
            x.accumulate(trainer.maxPool3dBackward(g, input: x.value, output: value, size: size))
        }
    }

    public func avgPool3d(_ x: Variable, size: Int) -> Variable {
        let value = backend.avgPool3d(x.value, size: size)
        return result(value, of: [x]) { [self] g in
            x.accumulate(trainer.avgPool3dBackward(g, inputShape: x.shape, size: size))
        }
    }

    public func groupNorm(_ x: Variable, groups: Int, gamma: Variable, beta: Variable, epsilon: Float = 1e-5) -> Variable {
        let value = backend.groupNorm(x.value, groups: groups, gamma: gamma.value, beta: beta.value, epsilon: epsilon)
        return result(value, of: [x, gamma, beta]) { [self] g in
            let gradients = trainer.groupNormBackward(g, input: x.value, groups: groups, gamma: gamma.value, epsilon: epsilon)
            send(gradients.input, to: x)
            send(gradients.gamma, to: gamma)
            send(gradients.beta, to: beta)
        }
    }

    public func unary(_ op: UnaryOp, _ x: Variable) -> Variable {
        let value = backend.unary(op, x.value)
        return result(value, of: [x]) { [self] g in
            x.accumulate(trainer.unaryBackward(op, g, input: x.value))
        }
    }

    public func relu(_ x: Variable) -> Variable { unary(.relu, x) }

    /// min(max(x, 0), ceiling): the conventional network's activation before conversion to spikes.
    public func clippedReLU(_ x: Variable, ceiling: Float) -> Variable { unary(.clippedReLU(ceiling), x) }

    public func silu(_ x: Variable) -> Variable { unary(.silu, x) }

    /// `a ∘ b` with `b` broadcast over `a` (suffix shape or one value); gradients sum over the broadcast.
    public func binary(_ op: BinaryOp, _ a: Variable, _ b: Variable) -> Variable {
        let value = backend.binary(op, a.value, b.value)
        return result(value, of: [a, b]) { [self] g in
            let backend = trainer
            switch op {
            case .add:
                send(g, to: a)
                send(backend.reduceToShape(g, shape: b.shape), to: b)
            case .subtract:
                send(g, to: a)
                send(backend.reduceToShape(backend.unary(.negate, g), shape: b.shape), to: b)
            case .multiply:
                send(backend.binary(.multiply, g, b.value), to: a)
                if b.requiresGradient {
                    b.accumulate(backend.reduceToShape(backend.binary(.multiply, g, a.value), shape: b.shape))
                }
            }
        }
    }

    public func add(_ a: Variable, _ b: Variable) -> Variable { binary(.add, a, b) }
    public func subtract(_ a: Variable, _ b: Variable) -> Variable { binary(.subtract, a, b) }
    public func multiply(_ a: Variable, _ b: Variable) -> Variable { binary(.multiply, a, b) }

    /// Softmax over the last axis.
    public func softmax(_ x: Variable) -> Variable {
        let value = backend.softmax(x.value)
        return result(value, of: [x]) { [self] g in
            x.accumulate(trainer.softmaxBackward(g, output: value))
        }
    }

    public func concat(_ parts: [Variable], axis: Int) -> Variable {
        let value = backend.concat(parts.map(\.value), axis: axis)
        return result(value, of: parts) { [self] g in
            var start = 0
            for part in parts {
                let extent = part.shape[axis]
                send(backend.slice(g, axis: axis, range: start..<(start + extent)), to: part)
                start += extent
            }
        }
    }

    public func slice(_ x: Variable, axis: Int, range: Range<Int>) -> Variable {
        let value = backend.slice(x.value, axis: axis, range: range)
        return result(value, of: [x]) { [self] g in
            var parts: [Tensor] = []
            var before = x.shape, after = x.shape
            before[axis] = range.lowerBound
            after[axis] = x.shape[axis] - range.upperBound
            if range.lowerBound > 0 { parts.append(Tensor(zeros: before)) }
            parts.append(g)
            if after[axis] > 0 { parts.append(Tensor(zeros: after)) }
            x.accumulate(backend.concat(parts, axis: axis))
        }
    }

    public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
        result(x.value.reshaped(shape), of: [x]) { g in
            x.accumulate(g.reshaped(x.shape))
        }
    }

    /// Sum of all values, as a one-value tensor.
    public func sum(_ x: Variable) -> Variable {
        result(Tensor(scalar: x.value.scalars.reduce(0, +)), of: [x]) { g in
            x.accumulate(Tensor(repeating: g.scalar, shape: x.shape))
        }
    }

    /// Mean of all values.
    public func mean(_ x: Variable) -> Variable {
        let count = Float(x.value.count)
        return result(Tensor(scalar: x.value.scalars.reduce(0, +) / count), of: [x]) { g in
            x.accumulate(Tensor(repeating: g.scalar / count, shape: x.shape))
        }
    }
}
