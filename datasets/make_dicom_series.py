#!/usr/bin/env python3
"""Writes a NIfTI T1 as a classic DICOM MR series (one file per axial slice).

Used to prepare a real scan as DICOM for `make demo` and `neurospike bench convert`: the source is
Colin27 (Debian package mricron-data), a real T1 of one person averaged over 27 scans, 1 mm.

Usage: make_dicom_series.py INPUT.nii[.gz] OUTPUT_FOLDER [--slices N]
  --slices N   keep the N central slices along k (default: all)

Geometry: slice k of the output holds voxels (i, j, k); columns run along i, rows along j, and
ImagePositionPatient / ImageOrientationPatient come from the NIfTI sform (RAS) negated into LPS.
Values are scaled linearly to 0..4095 (12 bits stored in 16). UIDs are derived from the input's
content, so a rerun writes identical files.
"""
import argparse
import gzip
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

DTYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64, 256: np.int8, 512: np.uint16}


def read_nifti(path):
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if struct.unpack("<i", raw[:4])[0] != 348:
        sys.exit(f"{path}: not a little-endian NIfTI-1 file")
    dims = struct.unpack("<8h", raw[40:56])
    datatype = struct.unpack("<h", raw[70:72])[0]
    offset = int(struct.unpack("<f", raw[108:112])[0])
    slope, inter = struct.unpack("<2f", raw[112:120])
    sform_code = struct.unpack("<h", raw[254:256])[0]
    pixdim = struct.unpack("<8f", raw[76:108])
    if sform_code > 0:
        affine = np.array(struct.unpack("<12f", raw[280:328]), dtype=np.float64).reshape(3, 4)
    else:
        affine = np.hstack([np.diag(pixdim[1:4]), np.zeros((3, 1))])
    shape = dims[1:4]
    count = int(np.prod(shape))
    data = np.frombuffer(raw, dtype=DTYPES[datatype], count=count, offset=offset).astype(np.float64)
    if slope not in (0.0,) and np.isfinite(slope):
        data = data * slope + inter
    return data.reshape(shape, order="F"), affine


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--slices", type=int, default=0)
    args = parser.parse_args()

    volume, affine = read_nifti(args.input)
    if args.slices and args.slices < volume.shape[2]:
        start = (volume.shape[2] - args.slices) // 2
        volume = volume[:, :, start:start + args.slices]
        affine = affine.copy()
        affine[:, 3] += affine[:, 2] * start
    low, high = np.percentile(volume, 0.0), np.percentile(volume, 100.0)
    scaled = np.clip(np.round((volume - low) / max(high - low, 1e-6) * 4095), 0, 4095).astype(np.uint16)

    lps = np.diag([-1.0, -1.0, 1.0])
    step_i, step_j, step_k = (lps @ affine[:, axis] for axis in range(3))
    origin = lps @ affine[:, 3]
    spacing_i, spacing_j = np.linalg.norm(step_i), np.linalg.norm(step_j)
    orientation = list(step_i / spacing_i) + list(step_j / spacing_j)

    seed = hashlib.sha256(scaled.tobytes()).hexdigest()
    study_uid = generate_uid(entropy_srcs=[seed, "study"])
    series_uid = generate_uid(entropy_srcs=[seed, "series"])
    frame_uid = generate_uid(entropy_srcs=[seed, "frame"])
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for k in range(scaled.shape[2]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[seed, "slice", str(k)])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = MRImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "MR"
        ds.ImageType = ["DERIVED", "PRIMARY", "M", "ND"]
        ds.Manufacturer = "NeuroSpike demo"
        ds.SeriesDescription = "Colin27 T1 demo"
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.MRAcquisitionType = "3D"
        ds.PatientName = "Demo^Colin27"
        ds.PatientID = "DEMO"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.ImagePositionPatient = [f"{v:.6f}" for v in origin + step_k * k]
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
        ds.PixelSpacing = [f"{spacing_j:.6f}", f"{spacing_i:.6f}"]
        ds.SliceThickness = f"{np.linalg.norm(step_k):.6f}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = scaled.shape[1], scaled.shape[0]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = np.ascontiguousarray(scaled[:, :, k].T).tobytes()
        ds.save_as(out / f"slice_{k + 1:04d}.dcm", enforce_file_format=True)
    print(f"{out}: {scaled.shape[2]} slices of {scaled.shape[0]}x{scaled.shape[1]}")


if __name__ == "__main__":
    main()
