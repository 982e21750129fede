import NeuroImage
import Testing

struct SafeNameTests {
    @Test(arguments: [
        ("5_anat-T1w_acq-tfl", "5_anat-T1w_acq-tfl"),
        ("77_../../escaped/x", "77_escaped_x"),
        ("..", "series"),
        ("", "series"),
        ("/etc/passwd", "etc_passwd"),
        (".hidden", "hidden"),
        ("T1 MPRAGE (sag) ñ", "T1_MPRAGE_sag"),
        ("a..b", "a.b"),
        ("EPI PE=AP", "EPI_PE_AP"),
    ])
    func makesFileSystemSafeNames(_ raw: String, _ expected: String) {
        #expect(SafeName.make(raw) == expected)
    }

    @Test func keepsNamesUniqueIgnoringCase() {
        #expect(SafeName.unique(["T1", "t1", "T1", "x/y"], taken: ["x_y"]) == ["T1", "t1_2", "T1_3", "x_y_2"])
    }

    @Test func capsLongNames() {
        #expect(SafeName.make(String(repeating: "a", count: 500)).count == 100)
    }
}
