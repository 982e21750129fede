#!/usr/bin/env python3
"""Zero-pads a NIfTI-1 volume to SIZE³ voxels around its centre, keeping voxel size and world positions.

Used by `make bench-segment` to time `neurospike segment` on a 256³ 1 mm input: Colin27 (Debian package
mricron-data, 181×217×181 at 1 mm) padded to 256³, as in the model card's speed figures.

Usage: pad_volume.py INPUT.nii[.gz] OUTPUT.nii.gz [--size 256]

The header is copied; only the dimensions, the data offset and the origins of sform and qform change, so
every original voxel keeps its world coordinates. An axis longer than SIZE is an error.
"""
import argparse
import gzip
import struct
import sys
from pathlib import Path

import numpy as np

DTYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64, 256: np.int8, 512: np.uint16}


def quaternion_linear(header):
    """The qform's voxel → world matrix (rotation × voxel size, with qfac) of a NIfTI-1 header."""
    b, c, d = struct.unpack("<3f", header[256:268])
    pixdim = struct.unpack("<8f", header[76:108])
    a = np.sqrt(max(0.0, 1.0 - (b * b + c * c + d * d)))
    rotation = np.array([
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
    ])
    qfac = -1.0 if pixdim[0] < 0 else 1.0
    return rotation @ np.diag([pixdim[1], pixdim[2], pixdim[3] * qfac])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    raw = Path(args.input).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 352 or struct.unpack("<i", raw[:4])[0] != 348:
        sys.exit(f"{args.input}: not a little-endian NIfTI-1 file")
    dims = struct.unpack("<8h", raw[40:56])
    datatype = struct.unpack("<h", raw[70:72])[0]
    if dims[0] != 3 or datatype not in DTYPES:
        sys.exit(f"{args.input}: expected one 3D volume of a plain numeric type (rank {dims[0]}, datatype {datatype})")
    shape = dims[1:4]
    if max(shape) > args.size:
        sys.exit(f"{args.input}: {shape[0]}×{shape[1]}×{shape[2]} does not fit in {args.size}³")
    offset = int(struct.unpack("<f", raw[108:112])[0])
    data = np.frombuffer(raw, dtype=DTYPES[datatype], count=int(np.prod(shape)), offset=offset).reshape(shape, order="F")
    before = [(args.size - n) // 2 for n in shape]
    padded = np.pad(data, [(low, args.size - n - low) for low, n in zip(before, shape)])

    header = bytearray(raw[:348])
    header[40:56] = struct.pack("<8h", 3, args.size, args.size, args.size, 1, 1, 1, 1)
    header[108:112] = struct.pack("<f", 352.0)
    shift = np.array(before, dtype=np.float64)
    if struct.unpack("<h", raw[254:256])[0] > 0:
        rows = np.array(struct.unpack("<12f", raw[280:328]), dtype=np.float64).reshape(3, 4)
        rows[:, 3] -= rows[:, :3] @ shift
        header[280:328] = struct.pack("<12f", *rows.flatten())
    if struct.unpack("<h", raw[252:254])[0] > 0:
        origin = np.array(struct.unpack("<3f", raw[268:280]), dtype=np.float64) - quaternion_linear(raw) @ shift
        header[268:280] = struct.pack("<3f", *origin)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(args.output).with_name(f".partial-{Path(args.output).name}")
    with gzip.open(temporary, "wb", compresslevel=3) as file:
        file.write(bytes(header) + b"\0\0\0\0" + padded.astype(DTYPES[datatype]).tobytes(order="F"))
    temporary.replace(args.output)


if __name__ == "__main__":
    main()
