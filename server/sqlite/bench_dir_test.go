package sqlite_test

import "os"

// mkdirTemp makes the benchmark store's directory; it lives until the test
// binary exits (testing.B.TempDir would remove it after the first run).
func mkdirTemp() (string, error) { return os.MkdirTemp("", "ruhu-pull-bench-") }
