#!/usr/bin/env python3
"""Independent Dice and HD95 with NumPy/SciPy, to cross-check NeuroSpike's Validation target.

Usage: reference_metrics.py REFERENCE.nii[.gz] MAPPING.tsv PREDICTION.nii[.gz] LABEL...
Prints JSON {label: {"dice": …, "hd95": …}}. Same definitions as NeuroSpike: reference labels are mapped
through the TSV (missing → excluded, except 0); excluded voxels are left out of both masks; surfaces are
mask voxels with a face neighbour outside (scipy binary_erosion, 6-connectivity, border counts as
outside); HD95 is the larger of the two directed 95th percentiles of surface-to-surface distances in mm.
"""
import gzip
import json
import struct
import sys

import numpy as np
from scipy import ndimage

DTYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64, 256: np.int8, 512: np.uint16}


def read_nifti(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    dims = struct.unpack("<8h", raw[40:56])
    datatype = struct.unpack("<h", raw[70:72])[0]
    pixdim = struct.unpack("<8f", raw[76:108])
    offset = int(struct.unpack("<f", raw[108:112])[0])
    slope, inter = struct.unpack("<2f", raw[112:120])
    shape = dims[1:4]
    data = np.frombuffer(raw, dtype=DTYPES[datatype], count=int(np.prod(shape)), offset=offset).astype(np.float64)
    if slope != 0:
        data = data * slope + inter
    return np.rint(data).astype(np.int64).reshape(shape, order="F"), np.array(pixdim[1:4], dtype=np.float64)


def main():
    reference, spacing = read_nifti(sys.argv[1])
    table = {}
    with open(sys.argv[2]) as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            table[int(fields[0])] = int(fields[2])
    values, inverse = np.unique(reference, return_inverse=True)
    mapped = np.array([table.get(int(v), 0 if v == 0 else -1) for v in values])[inverse].reshape(reference.shape)
    excluded = mapped == -1
    prediction, _ = read_nifti(sys.argv[3])
    structure = ndimage.generate_binary_structure(3, 1)
    results = {}
    for label in map(int, sys.argv[4:]):
        a = (mapped == label) & ~excluded
        b = (prediction == label) & ~excluded
        if not a.any() or not b.any():
            continue
        dice = 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))
        # Crop to both masks plus one voxel: every mask voxel and its neighbours stay inside.
        box = tuple(slice(max(i.min() - 1, 0), i.max() + 2) for i in np.nonzero(a | b))
        a, b = a[box], b[box]
        surface_a = a & ~ndimage.binary_erosion(a, structure=structure, border_value=0)
        surface_b = b & ~ndimage.binary_erosion(b, structure=structure, border_value=0)
        to_b = ndimage.distance_transform_edt(~surface_b, sampling=spacing)
        to_a = ndimage.distance_transform_edt(~surface_a, sampling=spacing)
        hd95 = max(np.percentile(to_b[surface_a], 95), np.percentile(to_a[surface_b], 95))
        results[str(label)] = {"dice": dice, "hd95": float(hd95)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
