#!/usr/bin/env bash
# Creates .build/torch-venv with PyTorch's CPU-only wheel, for `neurospike bench ops` only.
# The default Linux wheel pulls several GB of CUDA packages; the "+cpu" build (published on the
# package index beside it) has none and imports as is. torch is never a dependency of the project or its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${TORCH_VERSION:-2.13.0+cpu}"
if [ ! -x .build/torch-venv/bin/python ]; then
    python3 -m venv .build/torch-venv
fi
.build/torch-venv/bin/pip install --quiet "torch==${version}" numpy
.build/torch-venv/bin/python -c 'import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())'
