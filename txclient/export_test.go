package txclient

// ExpectedSequence exposes the CheckTx log parser to the tests.
var ExpectedSequence = expectedSequence
