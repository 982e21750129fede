/// The release version written into sidecars and provenance.
let neurospikeVersion = "0.1.0"
