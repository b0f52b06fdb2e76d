package console_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ruhu-org/ruhu/syncproto"
)

// The township reviewer's decisions in the browser: return a case with a
// reason (the tablet pulls it), draw the re-visit sample and print it, be
// refused approving a drawn case before its re-visit, pass an undrawn one
// to the township notice, print the notice, record an objection.
func TestDecisions(t *testing.T) {
	requireBrowser(t)
	f := newCaseFixture(t)
	p := newPage(t, f.env)
	p.login("reviewer1")

	p.open("/review/cases?state=township_review")
	rows := eval[[]string](p, `[...document.querySelectorAll("#cases tbody tr")].map(tr => tr.cells[1].textContent.trim())`)
	if len(rows) != 3 {
		t.Fatalf("cases in township review: %v, want 3", rows)
	}
	p.shot("10-cases")

	// Return the first with a reason; worker1's tablet pulls it.
	const reason = "收入证明缺失，请补充近三个月工资流水后重新调查"
	p.open("/review/cases/" + f.cases[0])
	p.do(chromedp.SendKeys(chromedp.CSS("#return-reason"), reason), chromedp.Click(chromedp.CSS("#return-form button")))
	p.waitFor(`document.querySelector(".okbox") !== null`)
	wantContains(t, "the returned case", p.text("main"), "退回重新调查", reason)
	p.shot("11-case-returned")
	if got := pulledCase(t, f.as("worker1"), f.cases[0]); got.State != syncproto.StateReturned || got.Reason != reason {
		t.Errorf("worker1's tablet pulls the case %s / %q, want returned with the reason", got.State, got.Reason)
	}

	// Draw the re-visit sample of the two others: 20 % of 2 is 1.
	p.open("/review/draws")
	p.shot("12-draw-form")
	p.do(chromedp.Click(chromedp.CSS(".draw-form button")))
	p.waitFor(`location.pathname.startsWith("/review/draws/") && document.querySelector("#drawn") !== null`)
	drawn := eval[[]string](p, `[...document.querySelectorAll("#drawn tbody tr")].map(tr => tr.cells[1].textContent.trim())`)
	if len(drawn) != 1 {
		t.Fatalf("drawn: %v, want one case", drawn)
	}
	p.shot("12-draw-list")
	var selected, other string
	for _, id := range f.cases[1:] {
		if c := f.caseOf(t, id); c.Draws[syncproto.DrawTownship] != nil && c.Draws[syncproto.DrawTownship].Selected {
			selected = id
		} else {
			other = id
		}
	}
	if selected == "" || other == "" || f.caseOf(t, selected).Number != drawn[0] {
		t.Fatalf("selected %q, other %q, list %v", selected, other, drawn)
	}

	// The drawn case cannot pass before its re-visit: the page says why.
	p.open("/review/cases/" + selected)
	p.do(chromedp.Click(chromedp.CSS("#pass")))
	p.waitFor(`document.querySelector(".error") !== null`)
	wantContains(t, "the refusal", p.text(".error"), "抽中的户须先完成乡镇入户核查")
	p.shot("13-case-refused")
	if c := f.caseOf(t, selected); c.State != syncproto.StateTownshipReview {
		t.Errorf("the drawn case moved to %s", c.State)
	}

	// The other passes to the township notice.
	p.open("/review/cases/" + other)
	p.do(chromedp.Click(chromedp.CSS("#pass")))
	p.waitFor(`document.querySelector(".okbox") !== null`)
	if c := f.caseOf(t, other); c.State != syncproto.StateTownshipNotice {
		t.Fatalf("after township approval the case is %s", c.State)
	}

	// The notice, its printable page, and an objection.
	p.open("/review/notices?stage=township")
	if n := eval[int](p, `document.querySelectorAll("#notice tbody tr").length`); n != 1 {
		t.Errorf("%d rows on the township notice, want 1", n)
	}
	p.shot("14-notices")
	p.open("/review/notices/print?stage=township")
	wantContains(t, "the printable notice", p.text("h1"), "公示")
	if n := eval[int](p, `document.querySelectorAll("tbody tr").length`); n != 1 {
		t.Errorf("%d rows on the printable notice", n)
	}
	p.shot("15-notice-print")
	p.open("/review/notices?stage=township")
	p.do(chromedp.SendKeys(chromedp.CSS("#objection-text-"+other), "群众反映该户有经营性收入未申报"),
		chromedp.SendKeys(chromedp.CSS("#objector-"+other), "村民李某"),
		chromedp.Click(chromedp.CSS("#case-"+other+" form button")))
	p.waitFor(`document.querySelector(".okbox") !== null`)
	p.shot("16-objection-recorded")
	c := f.caseOf(t, other)
	if len(c.Objections) != 1 || c.Objections[0].Text != "群众反映该户有经营性收入未申报" || c.Objections[0].Objector != "村民李某" {
		t.Errorf("objections %+v", c.Objections)
	}
	if c.State == syncproto.StateTownshipNotice {
		t.Errorf("the case is still in the notice after an objection")
	}
	p.open("/review/cases/" + other)
	wantContains(t, "the case after the objection", p.text("#objections"), "村民李某")
	wantContains(t, "history", p.text("#history"), "乡镇审核通过")

	// The roster downloads as a workbook.
	b := newBrowser(t, f.env)
	b.login("reviewer1")
	res, body := b.do(http.MethodGet, "/review/roster.xlsx", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		len(body) < 4 || body[:2] != "PK" {
		t.Errorf("roster: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), body[:min(len(body), 8)])
	}
}

// pulledCase pulls as c and returns a case as the tablet sees it.
func pulledCase(t *testing.T, c interface {
	PullAll(string) ([]syncproto.Change, string)
}, id string) syncproto.Case {
	t.Helper()
	changes, _ := c.PullAll("")
	i := slices.IndexFunc(changes, func(ch syncproto.Change) bool { return ch.Collection == syncproto.CollCases && ch.ID == id })
	if i < 0 {
		t.Fatalf("the tablet pulled no case %s", id)
	}
	var out syncproto.Case
	if err := json.Unmarshal(changes[i].Fields, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
