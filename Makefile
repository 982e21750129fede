# The two commands of the README: `make demo` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := time libdcmtk-dev libsndfile1-dev dcmtk libniftiio-dev libnifti2-dev libznz-dev libpng-dev \
                zlib1g-dev libopenblas-dev pkg-config libvulkan-dev mesa-vulkan-drivers glslc dcm2niix dicom3tools mricron-data python3-numpy
CONFIG ?= release
SWIFT_FLAGS := -c $(CONFIG)

.PHONY: deps build test demo clean bench-convert bench-segment validate-miccai

## Installs the Debian packages the build, the tests and the demo use (skips what is present).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

test: deps
	$(SWIFT) build $(SWIFT_FLAGS)
	$(SWIFT) test $(SWIFT_FLAGS) -Xswiftc -enable-testing

demo: build
	bash datasets/demo.sh "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/neurospike"

clean:
	rm -rf .build demo

## Prepares a 170-slice DICOM T1 from Colin27 and times convert against dcm2niix.
bench-convert: build
	@mkdir -p reports/bench
	@[ -f demo/dicom-170/colin27/slice_0001.dcm ] || "$$(datasets/python-env.sh)" datasets/make_dicom_series.py \
	  /usr/share/mricron/templates/ch2.nii.gz demo/dicom-170/colin27 --slices 170
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/neurospike" bench convert demo/dicom-170 --runs 7 --json \
	  | tee reports/bench/convert.json

## Segments the 15 MICCAI 2012 training scans with the shipped pipeline and scores them against their
## manual labels: reports/validation/miccai2012-train.md and the tables beside it (needs ../shared/data/miccai2012-train).
## The label maps stay in reports/validation/miccai2012-train/predictions/ (not committed).
validate-miccai: build
	@bin="$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/neurospike"; \
	"$$bin" validate datasets/miccai2012-train.json --backend cpu --out reports/validation/miccai2012-train && \
	cp reports/validation/miccai2012-train/summary.md reports/validation/miccai2012-train.md

## Times segment stage by stage on the xa30 T1 (needs ../shared/data/dicom) and on Colin27 zero-padded to 256³ at 1 mm.
bench-segment: build
	@[ -f demo/colin27-256.nii.gz ] || python3 datasets/pad_volume.py /usr/share/mricron/templates/ch2.nii.gz demo/colin27-256.nii.gz --size 256
	"$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/neurospike" bench segment \
	  ../shared/data/dicom/dcm_qa_xa30/In/5_anat-T1w_acq-tfl demo/colin27-256.nii.gz --backend cpu --runs 3 --json
