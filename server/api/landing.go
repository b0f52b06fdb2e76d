package api

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/syncproto"
)

// landingLink is one address a person or a script can go on to from GET /.
type landingLink struct {
	Href      string `json:"href"`
	Title     string `json:"title"`
	Available bool   `json:"available"` // false: not served by this build yet
}

// Landing is the answer of GET / to a script (Accept: application/json).
type Landing struct {
	Service  string        `json:"service"`
	Protocol int           `json:"protocol"`
	Links    []landingLink `json:"links"`
}

// landingLinks are the pages GET / points at, in the order shown.
var landingLinks = []landingLink{
	{Href: "/review/", Title: "Review console (township and county staff)"},
	{Href: "/m/", Title: "Village cadre's mobile page (H5)"},
	{Href: "/v1/openapi.json", Title: "API description (OpenAPI)"},
	{Href: "/healthz", Title: "Liveness: the process answers"},
	{Href: "/readyz", Title: "Readiness: the database answers"},
}

// landing answers GET /: a page telling a person who opened the server in
// a browser what it is and where to go, or the same links as JSON.
func (s *Server) landing(c echo.Context) error {
	l := Landing{Service: "ruhu", Protocol: syncproto.ProtocolVersion, Links: s.availableLinks()}
	if accept := c.Request().Header.Get("Accept"); strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
		return c.JSON(http.StatusOK, l)
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return landingPage.Execute(c.Response(), map[string]any{"Landing": l, "Host": c.Request().Host})
}

// availableLinks marks which landing links this router serves.
func (s *Server) availableLinks() []landingLink {
	served := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if r.Method == http.MethodGet {
			served[strings.TrimSuffix(r.Path, "*")] = true
		}
	}
	out := make([]landingLink, len(landingLinks))
	for i, l := range landingLinks {
		l.Available = served[l.Href]
		out[i] = l
	}
	return out
}

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ruhu 入户</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code,pre{background:#f4f4f4;padding:.1rem .3rem}pre{padding:.6rem;overflow-x:auto}.soon{color:#777}</style></head>
<body>
<h1>ruhu 入户</h1>
<p>This is a ruhu server: it syncs the home investigations of social assistance (低保, 特困) recorded offline on village
workers' tablets, merges their changes field by field, and keeps a hash-chained audit trail. There is nothing to fill in
here: tablets talk to it through the sync API (protocol version {{.Landing.Protocol}}).</p>
<ul>
{{- range .Landing.Links}}
<li>{{if .Available}}<a href="{{.Href}}">{{.Href}}</a>{{else}}<span class="soon">{{.Href}}</span>{{end}} — {{.Title}}{{if not .Available}} <span class="soon">(not in this version yet)</span>{{end}}</li>
{{- end}}
</ul>
<p>Try it from a terminal with the tablet command-line client:</p>
<pre>ruhu-tablet --home /tmp/tablet-1 login --server http://{{.Host}} --user USERNAME
ruhu-tablet --home /tmp/tablet-1 doctor</pre>
</body></html>
`))
