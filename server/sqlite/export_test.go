package sqlite

import "strconv"

// SetMaxPageCount caps the database at n pages on the writer connection (a
// full disk, simulated; PRAGMA max_page_count never goes below the pages
// in use) and returns the cap now in force.
func (db *DB) SetMaxPageCount(n int64) (int64, error) {
	var got int64
	err := db.write.QueryRow(`PRAGMA max_page_count = ` + strconv.FormatInt(n, 10)).Scan(&got)
	return got, err
}

// PageCount is the number of pages the database uses.
func (db *DB) PageCount() (int64, error) {
	var n int64
	err := db.write.QueryRow(`PRAGMA page_count`).Scan(&n)
	return n, err
}

// SetQueryOnly makes the writer connection refuse writes (a data
// directory turned read-only, simulated: root ignores file modes).
func (db *DB) SetQueryOnly(on bool) error {
	v := "OFF"
	if on {
		v = "ON"
	}
	_, err := db.write.Exec(`PRAGMA query_only = ` + v)
	return err
}
