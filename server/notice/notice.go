// Package notice renders a public notice list (公示名单) as a printable
// HTML page: A4, a print stylesheet, no PDF. It shows only what the
// engine put in the list, which never names a minor or a confidential
// member and masks ID numbers.
package notice

import (
	"embed"
	"html/template"
	"io"

	"github.com/ruhu-org/ruhu/server/roster"
	"github.com/ruhu-org/ruhu/syncproto"
)

//go:embed notice.html
var files embed.FS

var page = template.Must(template.New("notice.html").Funcs(template.FuncMap{
	"yuan": roster.Yuan,
	"date": roster.Date,
	"stage": func(s string) string {
		return map[string]string{"village": "村级", "township": "乡镇(街道)", "county": "县级"}[s]
	},
	"category": func(s string) string { return syncproto.CategoryTitles[s] },
	"inc":      func(i int) int { return i + 1 },
}).ParseFS(files, "notice.html"))

// Render writes list as the printable notice page.
func Render(w io.Writer, list *syncproto.NoticeList) error {
	return page.Execute(w, list)
}
