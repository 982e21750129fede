import Foundation
import TestSupport
import Testing
@testable import Validation

struct ManifestTests {
    private func write(_ text: String, _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func resolvesPathsRelativeToTheManifestAndMapsLabels() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try write("source\tname\taseg\n1\tUnlabeled\t0\n2\tvessel\t-1\n47\tRight Hippocampus\t53\n", "map.tsv", in: folder)
        let manifestURL = try write("""
        {"name": "t", "labelMapping": "map.tsv", "labels": [53],
         "cases": [{"id": "a", "image": "img/a.nii.gz", "labels": "lab/a.nii.gz", "sex": "F", "age": 30, "subject": "s1"}]}
        """, "m.json", in: folder)
        let manifest = try DatasetManifest.load(manifestURL)
        #expect(manifest.url(manifest.cases[0].image).path == folder.appendingPathComponent("img/a.nii.gz").path)
        #expect(manifest.mapping.aseg(47) == 53)
        #expect(manifest.mapping.aseg(2) == LabelMapping.excluded)
        #expect(manifest.mapping.aseg(0) == 0)
        #expect(manifest.mapping.aseg(999) == LabelMapping.excluded)
    }

    @Test func rejectsDuplicateCaseIDsNamingTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try write("""
        {"name": "t", "labels": [17], "cases": [{"id": "a", "image": "x", "labels": "y"}, {"id": "a", "image": "x", "labels": "y"}]}
        """, "dup.json", in: folder)
        #expect {
            try DatasetManifest.load(url)
        } throws: { error in
            (error as? ManifestError)?.path == url.path
        }
    }

    @Test func shippedMICCAIManifestListsFifteenCasesAndTwentyNineLabels() throws {
        let manifest = try DatasetManifest.load(Repository.url("datasets/miccai2012-train.json"))
        #expect(manifest.cases.count == 15)
        #expect(manifest.labels.count == 29)
        #expect(Set(manifest.labels).isSubset(of: Set(Validation.subcorticalLabels).union([2, 3, 4, 7, 8, 14, 15, 16, 28, 41, 42, 43, 46, 47, 60])))
        #expect(Validation.subcorticalLabels.isSubset(of: Set(manifest.labels)))
    }
}
