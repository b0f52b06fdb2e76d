// Package roster writes the roster (花名册) of approved households as an
// xlsx workbook (github.com/xuri/excelize/v2) and as CSV for other
// systems. Both carry the same cells: the sequence number is the case
// number, amounts are in yuan with two decimals, and every amount's
// breakdown is in its own column.
package roster

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Header is the roster's column titles.
var Header = []string{"序号(案件编号)", "乡镇(街道)", "村(社区)", "户主姓名", "身份证号码", "救助类别", "状态",
	"保障人数", "保障标准(元/月)", "人均月收入(元)", "月保障金额(元)", "批准日期", "渐退截止", "计算说明"}

var stateNames = map[string]string{syncproto.StateApproved: "在保", syncproto.StateExiting: "渐退"}

// Cells returns one row's cells, as written to both formats.
func Cells(r syncproto.RosterRow) []string {
	return []string{r.CaseNumber, r.Township, r.Village, r.HeadName, r.HeadID, name(syncproto.CategoryTitles, r.Category),
		name(stateNames, r.State), strconv.Itoa(r.Size), Yuan(r.Standard), Yuan(r.PerCapitaIncome), Yuan(r.Monthly),
		Date(r.ApprovedAt), r.ExitUntil, r.Breakdown}
}

func name(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// Date shows an RFC 3339 instant as its date in China (server.CivilDate),
// or the text as it is when it is not one.
func Date(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return server.CivilDate(t)
}

// Yuan formats fen as yuan with two decimals ("1402.50").
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// WriteCSV writes the roster as UTF-8 CSV with a BOM (so that Excel opens
// the Chinese correctly).
func WriteCSV(w io.Writer, rows []syncproto.RosterRow) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(Cells(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the roster as one sheet titled title. Every cell is
// text: ID numbers and case numbers must not become numbers, and amounts
// keep their two decimals.
func WriteXLSX(w io.Writer, title string, rows []syncproto.RosterRow) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "花名册"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	write := func(row int, cells []string) error {
		for i, v := range cells {
			ref, err := excelize.CoordinatesToCellName(i+1, row)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(sheet, ref, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := write(2, Header); err != nil {
		return err
	}
	for i, r := range rows {
		if err := write(i+3, Cells(r)); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 14, "D": 10, "E": 21, "N": 80} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(w)
	return err
}
