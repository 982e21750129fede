#!/usr/bin/env bash
# The demo: a real T1 (Colin27, Debian package mricron-data) prepared as a DICOM series, then listed,
# converted and segmented. Usage: datasets/demo.sh PATH/TO/neurospike
set -euo pipefail
bin="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
demo="$root/demo"
source_nifti=/usr/share/mricron/templates/ch2.nii.gz
[ -f "$source_nifti" ] || { echo "demo: $source_nifti is missing (apt-get install mricron-data)" >&2; exit 2; }
if [ ! -f "$demo/dicom/colin27/slice_0001.dcm" ]; then
  python="$("$root/datasets/python-env.sh")"
  "$python" "$root/datasets/make_dicom_series.py" "$source_nifti" "$demo/dicom/colin27"
fi
echo "== neurospike info $demo/dicom"
"$bin" info "$demo/dicom"
echo
echo "== neurospike convert $demo/dicom --out $demo/converted"
"$bin" convert "$demo/dicom" --out "$demo/converted"
echo
# Colin27 is an average of 27 scans, so its series is marked DERIVED, which segment skips by default.
echo "== neurospike segment $demo/dicom --out $demo/results --all-series"
"$bin" segment "$demo/dicom" --out "$demo/results" --all-series
echo
result="$demo/results/1_Colin27_T1_demo"
echo "outputs:     $result"
echo "QC pictures: $result/qc/overlay_axial.png, overlay_coronal.png, overlay_sagittal.png"
echo "report:      $result/report.txt"
echo "summary:     $demo/results/summary.csv"
