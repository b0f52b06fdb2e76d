package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/syncproto"
)

// view is what every page template gets.
type view struct {
	Actor *server.Actor
	CSRF  string
	Nav   string // the menu entry to mark current
	Title string
	Data  any
}

// pages are the parsed templates, each with the layout.
var pages = parsePages("login", "error", "overview", "queue", "household", "conflicts", "cases", "case", "draws", "draw", "notices")

func parsePages(names ...string) map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, n := range names {
		out[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+n+".html"))
	}
	return out
}

var funcs = template.FuncMap{
	"role":     func(r string) string { return label(roleLabels, r) },
	"roles":    rolesLabel,
	"category": func(c string) string { return label(categoryLabels, c) },
	"kind":     func(k string) string { return label(photoKindLabels, k) },
	"flag":     func(f string) string { return label(flagLabels, f) },
	"ckind":    func(k string) string { return label(conflictKindLabels, k) },
	"action":   actionLabel,
	"coll":     func(c string) string { return label(collectionLabels, c) },
	"field":    fieldLabel,
	"when":     when,
	"whenstr":  whenString,
	"value":    value,
	"rawjson":  rawJSON,
	"add":      func(a, b int) int { return a + b },
	"query":    func(v url.Values) template.URL { return template.URL(v.Encode()) },
	"has": func(m map[string]any, k string) bool {
		v, ok := m[k]
		return ok && v != nil && v != ""
	},
	"fieldvalue": fieldValue,
	"regime":     func(r any) string { return label(regimeLabels, fmt.Sprint(r)) },
	"reason":     func(r any) string { return label(reasonLabels, fmt.Sprint(r)) },
	"invfields":  func() []string { return investigationFields },
	"state":      func(s string) string { return label(stateLabels, s) },
	"act":        func(s string) string { return label(actionNames, s) },
	"stage":      func(s string) string { return label(stageLabels, s) },
	"yuan":       func(f int64) string { return policy.Fen(f).String() },
	"date":       func(s string) string { return whenString(s) },
	"list3":      func(a, b, c string) []string { return []string{a, b, c} },
	"pct":        func(bp int64) string { return policy.BP(bp).Percent() },
	"code":       func(c string) string { return label(codeLabels, c) },
	"sigrole":    func(r string) string { return label(signatureRoleLabels, r) },
	"objform": func(id, csrf, today, next string) objectionForm {
		return objectionForm{CaseID: id, CSRF: csrf, Today: today, Next: next}
	},
	"clist": func(cs []syncproto.Conflict, csrf, next string, a *server.Actor) conflictList {
		return conflictList{Conflicts: cs, CSRF: csrf, Next: next, CanResolve: a.HasAny(server.ResolverRoles...)}
	},
}

// objectionForm is the data of the objection-form template.
type objectionForm struct{ CaseID, CSRF, Today, Next string }

// conflictList is the data of the conflict-list template.
type conflictList struct {
	Conflicts  []syncproto.Conflict
	CSRF, Next string
	CanResolve bool
}

var investigationFields = []string{"location", "investigators", "findings", "income_items", "property_items",
	"expense_items", "per_capita_income", "suggested_category", "conclusion"}

// fieldValue shows a field: enums by their label, item lists one item a
// line.
func fieldValue(name string, v any) string {
	switch name {
	case "category", "suggested_category":
		return label(categoryLabels, str(v))
	case "hukou_type":
		return label(map[string]string{"rural": "农村", "urban": "城镇"}, str(v))
	case "sex":
		return label(map[string]string{"male": "男", "female": "女"}, str(v))
	case "labour_capacity":
		return label(map[string]string{"full": "有", "partial": "部分", "none": "无"}, str(v))
	case "source":
		return label(map[string]string{"application": "本人申请", "active_discovery": "主动发现", "data_match": "数据比对"}, str(v))
	}
	list, ok := v.([]any)
	if !ok {
		return value(v)
	}
	lines := make([]string, len(list))
	for i, it := range list {
		lines[i] = itemLine(it)
	}
	return strings.Join(lines, "；")
}

// itemLine shows one item of a list: an object as "key value" pairs.
func itemLine(it any) string {
	m, ok := it.(map[string]any)
	if !ok {
		return value(it)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = label(itemKeyLabels, k) + " " + label(itemValueLabels, value(m[k]))
	}
	return strings.Join(parts, "，")
}

func label(m map[string]string, k string) string {
	if l, ok := m[k]; ok {
		return l
	}
	return k
}

// actionLabel names an audit action: a case step by the step's name.
func actionLabel(a string) string {
	if step, ok := strings.CutPrefix(a, "case."); ok {
		return "案件：" + label(actionNames, step)
	}
	return label(actionLabels, a)
}

func rolesLabel(rs []string) string {
	ls := make([]string, len(rs))
	for i, r := range rs {
		ls[i] = label(roleLabels, r)
	}
	return strings.Join(ls, "、")
}

// when formats a time in Beijing time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(server.China).Format("2006-01-02 15:04")
}

// whenString formats an RFC 3339 time in Beijing time, or returns it as is.
func whenString(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return when(t)
}

// value shows a decoded field value: strings as they are, booleans as 是/否,
// arrays and objects as compact JSON.
func value(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// rawJSON shows a JSON value: a string without its quotes, anything else
// indented.
func rawJSON(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// render writes a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v view) {
	var b bytes.Buffer
	if err := pages[name].Execute(&b, v); err != nil {
		h.deps.Log.Error("console render", "page", name, "err", err)
		http.Error(w, "页面出错", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// show renders a page for a logged-in actor.
func (h *Handler) show(w http.ResponseWriter, a *server.Actor, name, nav, title string, data any) error {
	h.render(w, http.StatusOK, name, view{Actor: a, CSRF: h.keys.csrfToken(a.SessionID), Nav: nav, Title: title, Data: data})
	return nil
}

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Heading string
	Detail  string
}

// fail answers an error as a page: a coded error with its status and a
// Chinese heading, anything else logged and answered 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, a *server.Actor, err error) {
	code := server.ErrorCode(err)
	ev := errorView{Status: statusOf(code), Heading: label(errorHeadings, code), Detail: server.ErrorMessage(err)}
	if code == "" {
		h.deps.Log.Error("console", "path", r.URL.Path, "err", err)
		ev.Heading, ev.Detail = "服务器内部错误", "请稍后再试；问题持续时请联系系统管理员。"
	}
	v := view{Actor: a, Title: ev.Heading, Data: ev}
	if a != nil {
		v.CSRF = h.keys.csrfToken(a.SessionID)
	}
	h.render(w, ev.Status, "error", v)
}

func statusOf(code string) int {
	switch code {
	case "":
		return http.StatusInternalServerError
	case syncproto.CodeNotFound:
		return http.StatusNotFound
	case syncproto.CodeForbidden, syncproto.CodeOutOfScope:
		return http.StatusForbidden
	case syncproto.CodeRateLimited:
		return http.StatusTooManyRequests
	case syncproto.CodeValidation, syncproto.CodeInvalidField, syncproto.CodeBadRequest, syncproto.CodeInvalidChoice,
		syncproto.CodeReasonRequired, syncproto.CodeInvalidUnit:
		return http.StatusBadRequest
	}
	// Any other code is a rule of the procedure that refused (409).
	return http.StatusConflict
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
