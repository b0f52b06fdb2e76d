package syncproto

import "time"

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// ValidIDNumber reports whether s is a well-formed 18-character resident ID
// number (居民身份证号, GB 11643-1999): 17 digits whose first six are a
// non-zero region code and whose 7th–14th are a real birth date, then the
// ISO 7064 MOD 11-2 check character (a digit or an upper-case X).
func ValidIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	if s[:6] == "000000" || s[0] == '0' {
		return false
	}
	if _, err := time.Parse("20060102", s[6:14]); err != nil {
		return false
	}
	return s[17] == idCheckChars[sum%11]
}

// CompleteIDNumber appends to the first 17 digits of an ID number their
// check character: a valid ID number (for tests and demo data).
func CompleteIDNumber(first17 string) string { return first17 + string(IDCheckChar(first17)) }

// IDCheckChar returns the GB 11643 check character for the first 17 digits
// of an ID number. It is meant for tests and demo data.
func IDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17 && i < len(first17); i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// MaskIDNumber hides the middle of an ID number, keeping the region code and
// the last four characters: 110105********123X.
func MaskIDNumber(s string) string {
	if len(s) < 10 {
		return "****"
	}
	b := []byte(s)
	for i := 6; i < len(b)-4; i++ {
		b[i] = '*'
	}
	return string(b)
}

// BirthDateOf returns the birth date (YYYY-MM-DD) an 18-character ID
// number carries in characters 7–14, or "" when it carries none.
func BirthDateOf(id string) string {
	if len(id) != 18 {
		return ""
	}
	d := id[6:14]
	for _, c := range d {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return d[0:4] + "-" + d[4:6] + "-" + d[6:8]
}
