import Segmentation
import Testing

struct LabelSetTests {
    @Test func holdsTheDesignLabelsInOrder() {
        #expect(LabelSet.count == 33)
        #expect(LabelSet.asegLabels == [0, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24, 26, 28,
                                        41, 42, 43, 44, 46, 47, 49, 50, 51, 52, 53, 54, 58, 60])
        #expect(Set(LabelSet.structures.map(\.name)).count == 33)
    }

    @Test func mapsClassesAndAsegLabelsBothWays() {
        for (index, label) in LabelSet.asegLabels.enumerated() {
            #expect(LabelSet.classIndex(ofAseg: label) == index)
        }
        #expect(LabelSet.classIndex(ofAseg: 25) == nil)
        #expect(LabelSet.classIndex(ofAseg: 502) == nil)
    }

    @Test func usesFreeSurferNamesAndColours() throws {
        let hippocampus = try #require(LabelSet.classIndex(ofAseg: 17))
        #expect(LabelSet.structures[hippocampus].name == "Left-Hippocampus")
        #expect(LabelSet.structures[hippocampus].colour == SIMD3(220, 216, 20))
        let csf = try #require(LabelSet.classIndex(ofAseg: 24))
        #expect(LabelSet.structures[csf].name == "CSF")
    }

    @Test func pairsLeftAndRight() throws {
        for index in 0..<LabelSet.count {
            #expect(LabelSet.partnerClass[LabelSet.partnerClass[index]] == index)
        }
        let left = try #require(LabelSet.classIndex(ofAseg: 53))
        #expect(LabelSet.asegLabels[LabelSet.partnerClass[left]] == 17)
        for midline in [0, 14, 15, 16, 24] {
            let index = try #require(LabelSet.classIndex(ofAseg: midline))
            #expect(LabelSet.partnerClass[index] == index)
        }
    }
}
