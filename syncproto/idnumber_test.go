package syncproto_test

import (
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/syncproto"
)

// withCheck completes 17 digits with their check character.
func withCheck(first17 string) string {
	return first17 + string(syncproto.IDCheckChar(first17))
}

func TestIDCheckChar(t *testing.T) {
	// The two examples printed in GB 11643-1999.
	tests := []struct {
		first17 string
		want    byte
	}{
		{"11010519491231002", 'X'},
		{"44052418800101001", '4'},
	}
	for _, tt := range tests {
		if got := syncproto.IDCheckChar(tt.first17); got != tt.want {
			t.Errorf("IDCheckChar(%s) = %c, want %c", tt.first17, got, tt.want)
		}
	}
}

func TestValidIDNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"GB 11643 example with X", "11010519491231002X", true},
		{"GB 11643 example with digit", "440524188001010014", true},
		{"leap day 1980", withCheck("32010619800229123"), true},
		{"leap day 2000", withCheck("51010720000229001"), true},
		{"last day of year", withCheck("11010520231231000"), true},

		{"lowercase x is not the check character", "11010519491231002x", false},
		{"wrong check digit", "110105194912310021", false},
		{"other letter as check", "11010519491231002Y", false},
		{"X where a digit is due", "44052418800101001X", false},

		{"February 30", withCheck("11010519990230001"), false},
		{"February 29, not a leap year", withCheck("11010519990229001"), false},
		{"February 29, 1900", withCheck("11010519000229001"), false},
		{"month 13", withCheck("11010519991301001"), false},
		{"month 00", withCheck("11010519990001001"), false},
		{"day 00", withCheck("11010519990100001"), false},
		{"April 31", withCheck("11010519990431001"), false},

		{"region 000000", withCheck("00000019491231002"), false},
		{"region with leading 0", withCheck("01010519491231002"), false},

		{"empty", "", false},
		{"17 characters", "11010519491231002", false},
		{"19 characters", "11010519491231002X0", false},
		{"15-digit first-generation number", "110105491231002", false},
		{"leading space", " 11010519491231002X", false},
		{"letter in the body", "1101051949123100AX", false},
		{"space in the body", "11010519491231 02X", false},
		{"full-width digit", "１1010519491231002X", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := syncproto.ValidIDNumber(tt.in); got != tt.want {
				t.Errorf("ValidIDNumber(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "110105********002X"},
		{"440524188001010014", "440524********0014"},
		{"110105491231002", "110105*****1002"},
		{"", "****"},
		{"123456789", "****"},
	}
	for _, tt := range tests {
		if got := syncproto.MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzValidIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "440524188001010014", "11010519491231002x",
		"110105199902300012", "", "000000000000000000", "99999999999999999X",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := syncproto.ValidIDNumber(s)
		masked := syncproto.MaskIDNumber(s)
		if !valid {
			return
		}
		if len(s) != 18 {
			t.Fatalf("ValidIDNumber(%q) = true for length %d", s, len(s))
		}
		if strings.Trim(s[:17], "0123456789") != "" {
			t.Fatalf("ValidIDNumber(%q) = true with a non-digit in the first 17", s)
		}
		if c := syncproto.IDCheckChar(s[:17]); s[17] != c {
			t.Fatalf("ValidIDNumber(%q) = true but the check character is %c", s, c)
		}
		if want := s[:6] + "********" + s[14:]; masked != want {
			t.Fatalf("MaskIDNumber(%q) = %q, want %q", s, masked, want)
		}
	})
}
