#!/usr/bin/env bash
# The Vulkan backend on a machine with a GPU but no Swift toolchain: first the parity of every op (and of a
# random-weight spiking U-Net's labels) against the CPU backend, then conv3d GFLOP/s, the U-Net forward
# time and the shipped segmenter on Colin27 (whole segmentation, with label agreement) on Vulkan vs the CPU
# backend, measured in the same run.
#
#   pipelines/gpu/check.sh prepare
#       On the build machine: a release build with the Swift runtime linked statically, the non-system
#       shared libraries it links (OpenBLAS and its Fortran runtime, libstdc++), the Vulkan loader
#       package and Colin27 (Debian's mricron-data), packed into .gpu/ (about 30 MB) to carry to the GPU
#       machine with the checkout, whose pipelines/ folder holds the segmenter.
#   pipelines/gpu/check.sh run [--out DIR] [--lavapipe]
#       On the GPU machine: unpacks .gpu/ into a temporary folder (nothing is installed), finds the NVIDIA
#       Vulkan driver unless VK_DRIVER_FILES names one, and runs `neurospike bench vulkan --check`.
#       Writes vulkan.md and vulkan.json to DIR (default reports/bench/gpu). --lavapipe runs the same on
#       Mesa's CPU driver with small shapes, to try the script where there is no GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=.gpu

prepare() {
    swift build -c release --static-swift-stdlib --scratch-path .build-static --product neurospike
    rm -rf "$bundle"
    mkdir -p "$bundle/stage/lib" "$bundle/debs"
    cp .build-static/release/neurospike "$bundle/stage/"
    strip "$bundle/stage/neurospike"
    # Everything the binary links except the C library itself, which the GPU machine has.
    ldd .build-static/release/neurospike | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
        while read -r name path; do
            case "$name" in
                libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
                *) cp -L "$path" "$bundle/stage/lib/$name" ;;
            esac
        done
    local apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    mkdir -p /tmp/amd64/partial
    apt-get "${apt[@]}" update -qq
    (cd "$bundle/debs" && apt-get "${apt[@]}" download libvulkan1)
    cp /usr/share/mricron/templates/ch2.nii.gz "$bundle/stage/colin27.nii.gz"
    tar -C "$bundle/stage" -cJf "$bundle/bundle.tar.xz" .
    rm -rf "$bundle/stage"
    du -sh "$bundle"
}

run() {
    local out=reports/bench/gpu lavapipe=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) out=$2; shift 2 ;;
            --lavapipe) lavapipe=1; shift ;;
            *) echo "check.sh run: unknown option $1" >&2; exit 2 ;;
        esac
    done
    [ -f "$bundle/bundle.tar.xz" ] || { echo "check.sh: no $bundle/bundle.tar.xz; run 'check.sh prepare' first" >&2; exit 2; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    tar -C "$work" -xJf "$bundle/bundle.tar.xz"
    for deb in "$bundle"/debs/*.deb; do dpkg -x "$deb" "$work/loader"; done
    export LD_LIBRARY_PATH="$work/lib:$work/loader/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

    export NEUROSPIKE_PIPELINES="$PWD/pipelines"
    local shapes unet scans
    if [ "$lavapipe" = 1 ]; then
        export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
        shapes=8x16,16x16 unet=16 scans=1
    else
        if [ -z "${VK_DRIVER_FILES:-}" ]; then
            for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
                       /etc/vulkan/icd.d/nvidia_icd.json; do
                if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
            done
        fi
        shapes=32x64,64x64,64x96 unet=96 scans=3
    fi
    echo "driver: ${VK_DRIVER_FILES:-as the loader finds it}"
    "$work/neurospike" bench vulkan --list
    SECONDS=0
    timeout 450 "$work/neurospike" bench vulkan --check --threads "$(nproc)" --repeats 5 \
        --shapes "$shapes" --unet-size "$unet" --scan "$work/colin27.nii.gz" --scan-repeats "$scans" --out "$out"
    echo "check.sh: parity and benchmark took ${SECONDS} s"
}

case "${1:-}" in
    prepare) prepare ;;
    run) shift; run "$@" ;;
    *) echo "usage: pipelines/gpu/check.sh prepare | run [--out DIR] [--lavapipe]" >&2; exit 2 ;;
esac
