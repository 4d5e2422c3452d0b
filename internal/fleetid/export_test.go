package fleetid

// SetMsgsPerSubject sets the hub stream's per-subject limit (and so its
// max_bytes) for a test, and returns what restores it.
func SetMsgsPerSubject(n int64) (restore func()) {
	old := msgsPerSubject
	msgsPerSubject = n
	return func() { msgsPerSubject = old }
}
