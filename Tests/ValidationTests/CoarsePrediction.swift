@testable import Validation

/// A coarser version of the mapped manual labels (each voxel takes the label of the even-indexed
/// voxel of its 2×2×2 block): a realistic imperfect segmentation to score.
func coarsePrediction(of reference: LabelGrid, mapping: LabelMapping) -> LabelGrid {
    var labels = reference.labels
    for z in 0..<reference.nz {
        for y in 0..<reference.ny {
            for x in 0..<reference.nx {
                let source = (x & ~1) + reference.nx * ((y & ~1) + reference.ny * (z & ~1))
                labels[x + reference.nx * (y + reference.ny * z)] = max(0, mapping.aseg(reference.labels[source]))
            }
        }
    }
    return LabelGrid(nx: reference.nx, ny: reference.ny, nz: reference.nz, spacingMM: reference.spacingMM, labels: labels)
}
