"""Writes Fixtures/forward_cases.json: small inputs and NumPy reference outputs for the forward kernels.

Run from this folder: python3 generate_forward_cases.py (needs numpy). Layouts follow the Tensor module:
volumes NDHWC, conv weights [k, k, k, Cin, Cout], transposed-conv weights [k, k, k, Cout, Cin],
sequences [T, H, D].
"""
import json
import numpy as np

rng = np.random.default_rng(20250904)


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def conv3d(x, w, b, stride, pad):
    k = w.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (pad, pad), (0, 0)))
    n, d, h, wd, _ = xp.shape
    od, oh, ow = [(e - k) // stride + 1 for e in (d, h, wd)]
    out = np.zeros((n, od, oh, ow, w.shape[4]), np.float64)
    for kd in range(k):
        for kh in range(k):
            for kw in range(k):
                patch = xp[:, kd:kd + stride * od:stride, kh:kh + stride * oh:stride, kw:kw + stride * ow:stride, :]
                out += patch.astype(np.float64) @ w[kd, kh, kw].astype(np.float64)
    return out + (0 if b is None else b)


def conv_transpose3d(x, w, b, stride, pad):
    k = w.shape[0]
    n, d, h, wd, _ = x.shape
    full = [(e - 1) * stride + k for e in (d, h, wd)]
    out = np.zeros((n, *full, w.shape[3]), np.float64)
    for kd in range(k):
        for kh in range(k):
            for kw in range(k):
                contribution = x.astype(np.float64) @ w[kd, kh, kw].astype(np.float64).T
                out[:, kd:kd + stride * d:stride, kh:kh + stride * h:stride, kw:kw + stride * wd:stride, :] += contribution
    out = out[:, pad:full[0] - pad, pad:full[1] - pad, pad:full[2] - pad, :]
    return out + (0 if b is None else b)


def pool(x, size, reduce):
    n, d, h, w, c = x.shape
    blocks = x.reshape(n, d // size, size, h // size, size, w // size, size, c)
    return reduce(blocks, axis=(2, 4, 6))


def group_norm(x, groups, gamma, beta, eps):
    n, c = x.shape[0], x.shape[-1]
    grouped = x.reshape(n, -1, groups, c // groups).astype(np.float64)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    return ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape) * gamma + beta


def rms_norm(x, gamma, eps):
    x64 = x.astype(np.float64)
    return x64 / np.sqrt((x64 ** 2).mean(axis=-1, keepdims=True) + eps) * gamma


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rope(x, offset):
    t, _, dh = x.shape
    out = x.astype(np.float64).copy()
    for pair in range(dh // 2):
        freq = 10000.0 ** (-2 * pair / dh)
        angle = (offset + np.arange(t)) * freq
        c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
        a, b = x[:, :, 2 * pair], x[:, :, 2 * pair + 1]
        out[:, :, 2 * pair] = a * c - b * s
        out[:, :, 2 * pair + 1] = a * s + b * c
    return out


def windowed_attention(q, k, v, window):
    t, h, dh = q.shape
    out = np.zeros(q.shape)
    for head in range(h):
        scores = q[:, head].astype(np.float64) @ k[:, head].T / np.sqrt(dh)
        for i in range(t):
            for j in range(t):
                if j > i or j <= i - window:
                    scores[i, j] = -np.inf
        out[:, head] = softmax(scores) @ v[:, head]
    return out


def gated_linear_attention(q, k, v, log_decay):
    t, h, dk = q.shape
    state = np.zeros((h, dk, v.shape[2]))
    out = np.zeros((t, h, v.shape[2]))
    for i in range(t):
        for head in range(h):
            state[head] = np.exp(log_decay[i, head])[:, None] * state[head] + np.outer(k[i, head], v[i, head])
            out[i, head] = (q[i, head] / np.sqrt(dk)) @ state[head]
    return out, state


def tensor(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "values": [float(v) for v in a.ravel()]}


cases = []


def case(name, op, inputs, expected, **parameters):
    cases.append({"name": name, "op": op, "parameters": parameters,
                  "inputs": {key: tensor(value) for key, value in inputs.items()},
                  "expected": {key: tensor(value) for key, value in expected.items()}})


for (shape, cin, cout, k, stride, pad) in [((1, 5, 4, 6), 3, 4, 3, 1, 1), ((2, 6, 5, 4), 2, 3, 3, 2, 1),
                                           ((1, 4, 4, 4), 4, 2, 2, 2, 0), ((1, 3, 5, 4), 5, 2, 1, 1, 0)]:
    x, w, b = normal(*shape, cin), normal(k, k, k, cin, cout), normal(cout)
    case(f"conv3d k{k} s{stride} p{pad}", "conv3d", {"input": x, "weight": w, "bias": b},
         {"output": conv3d(x, w, b, stride, pad)}, size=k, stride=stride, padding=pad)

for (shape, cin, cout, k, stride, pad) in [((1, 2, 3, 2), 3, 2, 2, 2, 0), ((1, 3, 2, 3), 2, 3, 3, 2, 1)]:
    x, w, b = normal(*shape, cin), normal(k, k, k, cout, cin), normal(cout)
    case(f"convTranspose3d k{k} s{stride} p{pad}", "convTranspose3d", {"input": x, "weight": w, "bias": b},
         {"output": conv_transpose3d(x, w, b, stride, pad)}, size=k, stride=stride, padding=pad)

x = normal(2, 4, 4, 2, 3)
case("maxPool3d 2", "maxPool3d", {"input": x}, {"output": pool(x, 2, np.max)}, size=2)
case("avgPool3d 2", "avgPool3d", {"input": x}, {"output": pool(x, 2, np.mean)}, size=2)

x, gamma, beta = normal(2, 3, 2, 2, 6) * 3 + 1, normal(6), normal(6)
case("groupNorm 3 groups", "groupNorm", {"input": x, "gamma": gamma, "beta": beta},
     {"output": group_norm(x, 3, gamma, beta, 1e-5)}, groups=3, epsilon=1e-5)

x, gamma = normal(5, 8), normal(8)
case("rmsNorm", "rmsNorm", {"input": x, "gamma": gamma}, {"output": rms_norm(x, gamma, 1e-6)}, epsilon=1e-6)
case("softmax", "softmax", {"input": x * 3}, {"output": softmax((x * 3).astype(np.float64))})
case("silu", "silu", {"input": x}, {"output": x / (1 + np.exp(-x.astype(np.float64)))})
case("logSigmoid", "logSigmoid", {"input": x * 10}, {"output": -np.logaddexp(0, -(x * 10).astype(np.float64))})

x, theta = np.abs(normal(3, 2, 2, 2, 4)) * 2 - 0.3, np.array([0.25, 0.5, 0.3, 1.0], np.float32)
case("spikeCounts per channel", "spikeCounts", {"input": x, "threshold": theta},
     {"output": np.clip(np.round(x / theta), 0, 4)}, maxCount=4)

x = normal(6, 10)
theta = np.abs(x).mean(axis=-1, keepdims=True) / 3
case("adaptiveSpikeCounts", "adaptiveSpikeCounts", {"input": x},
     {"output": np.clip(np.round(x / theta), -15, 15), "thresholds": theta[:, 0]}, k=3, maxCount=15)

q = normal(7, 2, 4)
case("rope offset 3", "rope", {"input": q}, {"output": rope(q, 3)}, offset=3)

q, k, v = normal(9, 2, 4), normal(9, 2, 4), normal(9, 2, 4)
case("windowedAttention window 4", "windowedAttention", {"q": q, "k": k, "v": v},
     {"output": windowed_attention(q, k, v, 4)}, window=4)

q, k, v = np.maximum(normal(11, 2, 4), 0), np.maximum(normal(11, 2, 4), 0), normal(11, 2, 3)
log_decay = (-np.logaddexp(0, -normal(11, 2, 4)) / 16).astype(np.float32)
out, state = gated_linear_attention(q, k, v, log_decay)
case("gatedLinearAttention chunk 4", "gatedLinearAttention", {"q": q, "k": k, "v": v, "logDecay": log_decay},
     {"output": out, "state": state}, chunkSize=4)

# Channel counts that take the direct AVX-512 kernels (Cout a multiple of 16), with a ragged row tail
# and, for 19 planes, slabs of several planes with a shorter last one.
for (shape, cin, cout, k, pad) in [((2, 3, 4, 13), 5, 16, 3, 1), ((1, 4, 5, 9), 16, 32, 3, 0), ((1, 2, 3, 3), 8, 16, 1, 0),
                                   ((1, 19, 5, 6), 4, 16, 3, 1)]:
    x, w, b = normal(*shape, cin), normal(k, k, k, cin, cout), normal(cout)
    case(f"conv3d direct {cin}->{cout} k{k} p{pad}", "conv3d", {"input": x, "weight": w, "bias": b},
         {"output": conv3d(x, w, b, 1, pad)}, size=k, stride=1, padding=pad)

with open("Fixtures/forward_cases.json", "w") as f:
    json.dump({"generator": "generate_forward_cases.py", "cases": cases}, f)
print(f"{len(cases)} cases")
