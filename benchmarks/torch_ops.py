"""PyTorch CPU reference for `neurospike bench ops`: times conv3d forward, input and weight gradients.

Driven over stdin/stdout so that NeuroSpike can alternate its runs with PyTorch's under the same load:
each input line "CHANNELS SIZE DIR" (DIR: fwd, bwd_input, bwd_weight) times one run of that shape and
prints {"seconds": …}; the first request of a shape also builds its tensors and runs it once to warm up.
Layout: PyTorch's NCDHW, batch 1, CHANNELS→CHANNELS, 3×3×3 kernel, padding 1 — the same FLOPs as
NeuroSpike's NDHWC kernels. Usage: python torch_ops.py --threads N
"""
import argparse
import json
import sys
import time

import torch


def runs_for(channels, size):
    x = torch.randn(1, channels, size, size, size)
    w = torch.randn(channels, channels, 3, 3, 3) * 0.1
    grad = torch.randn(1, channels, size, size, size)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            grad, x, w, None, [1, 1, 1], [1, 1, 1], [1, 1, 1], False, [0, 0, 0], 1, mask)

    runs = {"fwd": lambda: torch.nn.functional.conv3d(x, w, padding=1),
            "bwd_input": backward([True, False, False]),
            "bwd_weight": backward([False, True, False])}
    for run in runs.values():
        run()
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shapes = {}
    with torch.no_grad():
        for line in sys.stdin:
            channels, size, direction = line.split()
            key = (int(channels), int(size))
            if key not in shapes:
                shapes[key] = runs_for(*key)
            start = time.perf_counter()
            shapes[key][direction]()
            print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


if __name__ == "__main__":
    main()
