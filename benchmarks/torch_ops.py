"""PyTorch CPU reference for `neurospike bench ops`: conv3d forward, input and weight gradients.

Prints one JSON object per line: {"op", "channels", "size", "dir", "seconds"} with the median of
--repeats timed runs after one warm-up, on --threads threads. Layout: PyTorch's NCDHW, batch 1,
3×3×3 kernel, padding 1; the same FLOPs as NeuroSpike's NDHWC kernels.
"""
import argparse
import json
import statistics
import time

import torch


def median_seconds(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shapes", default="16x64,32x64,16x96,32x96", help="CHANNELSxSIZE,…")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for item in args.shapes.split(","):
        channels, size = (int(v) for v in item.split("x"))
        x = torch.randn(1, channels, size, size, size)
        w = torch.randn(channels, channels, 3, 3, 3) * 0.1
        grad = torch.randn(1, channels, size, size, size)
        with torch.no_grad():
            runs = {
                "fwd": lambda: torch.nn.functional.conv3d(x, w, padding=1),
                "bwd_input": lambda: torch.ops.aten.convolution_backward(
                    grad, x, w, None, [1, 1, 1], [1, 1, 1], [1, 1, 1], False, [0, 0, 0], 1, [True, False, False]),
                "bwd_weight": lambda: torch.ops.aten.convolution_backward(
                    grad, x, w, None, [1, 1, 1], [1, 1, 1], [1, 1, 1], False, [0, 0, 0], 1, [False, True, False]),
            }
            for direction, fn in runs.items():
                seconds = median_seconds(fn, args.repeats)
                print(json.dumps({"op": "conv3d", "channels": channels, "size": size, "dir": direction,
                                  "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
