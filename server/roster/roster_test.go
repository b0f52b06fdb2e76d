package roster_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/server/roster"
	"github.com/ruhu-org/ruhu/syncproto"
)

func rows() []syncproto.RosterRow {
	return []syncproto.RosterRow{
		{CaseNumber: "2026-000001", Township: "城关镇", Village: "城关镇东村", HeadName: "张三", HeadID: "53012119900101000X",
			Category: "dibao", State: syncproto.StateApproved, Size: 3, Standard: 58000, PerCapitaIncome: 31250,
			Monthly: 140250, Breakdown: "补差: (标准 580.00 − 人均 312.50) × 3 人 = 802.50; 重病增发: 290.00 × 1 人 = 290.00",
			ApprovedAt: "2026-12-20T08:00:00Z"},
		{CaseNumber: "2026-000007", Township: "河西乡", Village: "河西乡南村", HeadName: "李四", HeadID: "530121199001010011",
			Category: "dibao_edge", State: syncproto.StateExiting, Size: 1, Standard: 37500, PerCapitaIncome: 40000,
			Monthly: 5, ApprovedAt: "2026-01-02T00:00:00Z", ExitUntil: "2027-07-02"},
	}
}

// The workbook read back by another reader (exceljs, in Node) holds
// exactly the cells written: ID and case numbers stay text, amounts keep
// two decimals.
func TestXLSXReadByAnotherReader(t *testing.T) {
	node, err := exec.LookPath("node")
	dir, _ := filepath.Abs(filepath.Join("testdata", "xlsxread"))
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "exceljs")); err != nil || statErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node (%v) and exceljs (%v) are required under CI: .ci/run installs them", err, statErr)
		}
		t.Skip("node or exceljs missing: run `npm ci` in server/roster/testdata/xlsxread")
	}
	var b bytes.Buffer
	if err := roster.WriteXLSX(&b, "花名册 t1", rows()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "roster.xlsx")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "read.js", file)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.js: %v", err)
	}
	var sheets map[string][][]string
	if err := json.Unmarshal(out, &sheets); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := sheets["花名册"]
	want := [][]string{{"花名册 t1"}, roster.Header}
	for _, r := range rows() {
		want = append(want, roster.Cells(r))
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
}

func TestCSVHasTheSameCells(t *testing.T) {
	var b bytes.Buffer
	if err := roster.WriteCSV(&b, rows()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\ufeff") {
		t.Fatal("no BOM: Excel would misread the Chinese")
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{roster.Header, roster.Cells(rows()[0]), roster.Cells(rows()[1])}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("csv %q", got)
	}
	if got[1][4] != "53012119900101000X" || got[1][10] != "1402.50" || got[2][10] != "0.05" {
		t.Fatalf("cells %q", got[1:])
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 140250: "1402.50", -1: "-0.01"} {
		if got := roster.Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %s, want %s", fen, got, want)
		}
	}
}
