package sqlite

// SetMaxMergedUnits sets how many units a pull reads as merged per-unit
// ranges (beyond, one IN list) and returns a func that restores it.
func SetMaxMergedUnits(n int) (restore func()) {
	old := maxMergedUnits
	maxMergedUnits = n
	return func() { maxMergedUnits = old }
}
