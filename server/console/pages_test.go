package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A township reviewer's day in the browser: log in with the keyboard, see
// what came in, filter the queue, open a household file with its photos,
// resolve a conflict that a tablet then pulls, log out.
func TestReviewerDay(t *testing.T) {
	requireBrowser(t)
	f := newFixture(t)
	p := newPage(t, f.env)

	p.open("/review/queue")
	if got := eval[string](p, "location.pathname"); got != "/review/login" {
		t.Fatalf("anonymous queue went to %s", got)
	}
	p.shot("01-login")
	p.login("reviewer1")

	// 首页: per village, what came in today.
	p.open("/review/")
	row := p.text("#activity tbody tr:first-child")
	wantContains(t, "the first village's row", row, "城关镇东村")
	cells := eval[[]string](p, `[...document.querySelectorAll("#activity tbody tr:first-child td")].map(td => td.textContent.trim())`)
	// households, investigations, signatures, photos, open conflicts, rejected
	if fmt.Sprint(cells) != "[2 2 3 2 1 1]" {
		t.Errorf("t1-v1 today: %v, want [2 2 3 2 1 1]", cells)
	}
	wantContains(t, "pending investigations", p.text("#pending"), "钱小梅", "0 / 2", "缺")
	if pending := p.text("#pending"); strings.Contains(pending, "赵大山") {
		t.Errorf("赵大山 (two valid signatures, commitment photo) listed as pending:\n%s", pending)
	}
	p.shot("02-overview")

	// Queue: filter by village and "signatures incomplete".
	p.open("/review/queue")
	p.do(chromedp.SetValue(chromedp.CSS("#village"), "t1-v1"), chromedp.Click(chromedp.CSS("#unsigned")),
		chromedp.Click(chromedp.CSS("#queue-filter button[type=submit]")))
	p.waitFor(`location.search.includes("unsigned=1")`)
	rows := eval[[]string](p, `[...document.querySelectorAll("#queue tbody tr")].map(tr => tr.cells[0].textContent.trim())`)
	if fmt.Sprint(rows) != "[钱小梅]" {
		t.Errorf("t1-v1 with signatures incomplete: %v, want [钱小梅]", rows)
	}
	wantContains(t, "queue count", p.text("#queue-count"), "共 1 户", "全部 2 户")
	p.shot("03-queue")

	// The household file, opened from the queue.
	p.open("/review/queue?village=t1-v1")
	p.do(chromedp.Click(chromedp.CSS(`#queue a[href="/review/households/` + f.hhA + `"]`)))
	p.waitFor(`document.querySelector("#photos") !== null`)
	p.waitFor(`[...document.querySelectorAll(".photos img")].every(i => i.complete)`)
	loaded := eval[[]int](p, `[...document.querySelectorAll(".photos img")].map(i => i.naturalWidth)`)
	if len(loaded) != f.thumbsExpected {
		t.Fatalf("%d thumbnails, want %d", len(loaded), f.thumbsExpected)
	}
	for i, w := range loaded {
		if w <= 0 {
			t.Errorf("thumbnail %d did not load (naturalWidth %d)", i, w)
		}
	}
	wantContains(t, "members", p.text("#members"), "赵大山", "孙秀英", ruhutest.IDNumber(11), "尿毒症")
	wantContains(t, "investigations", p.text("#investigations"), "有效", "包片干部 李娜", "村干部 张伟", "自负医疗费用")
	wantContains(t, "benefit", p.text("#benefit"), "低保补差", "计算明细")
	wantContains(t, "photos", p.text("#photos"), "承诺书", "25.04010, 102.71230", "无拍摄位置")
	wantContains(t, "audit trail", p.text("#audit"), "上传照片", "产生冲突", "村干部 张伟")
	p.shot("04-household")
	p.do(chromedp.Click(chromedp.CSS(".photos a.lightbox")))
	p.waitFor(`document.querySelector("#photo-dialog").open && document.querySelector("#photo-dialog img").complete && document.querySelector("#photo-dialog img").naturalWidth > 0`)
	p.viewShot("05-photo-large")
	p.do(chromedp.KeyEvent("\x1b"))
	p.waitFor(`!document.querySelector("#photo-dialog").open`)

	// 钱小梅's form changed after worker1 signed it: the signature is stale.
	p.open("/review/households/" + f.hhB)
	wantContains(t, "钱小梅's investigation", p.text("#investigations"), "村干部 张伟", "已失效", "签名不全")

	// Conflicts: both values side by side; take the tablet's value.
	p.open("/review/conflicts")
	wantContains(t, "the conflict", p.text("#conflicts article"), "住址", "东村一组12号", f.w2Value)
	wantContains(t, "rejected pushes", p.text("#rejections"), "invalid_id_number")
	p.shot("06-conflicts")
	p.do(chromedp.Click(chromedp.CSS(`#conflicts article form button[value="client"]`)))
	p.waitFor(`document.querySelector(".okbox") !== null`)
	if n := eval[int](p, `document.querySelectorAll("#conflicts article").length`); n != 0 {
		t.Errorf("%d conflicts still listed after resolving", n)
	}
	p.shot("07-conflict-resolved")
	if got := pulledField(t, f.w1, f.hhA, f.conflictField); got != f.w2Value {
		t.Errorf("worker1's tablet pulls address %q after the resolution, want %q", got, f.w2Value)
	}

	// Logout with the keyboard: focus the button, press Enter.
	p.do(chromedp.Focus(chromedp.CSS(".who button")), chromedp.KeyEvent("\r"))
	p.waitFor(`location.pathname === "/review/login"`)
	p.open("/review/")
	if got := eval[string](p, "location.pathname"); got != "/review/login" {
		t.Errorf("after logout the front page is %s", got)
	}
}

// A reviewer of township t2 sees nothing of t1 through the pages: not in
// the queue, not the household file, not its photos, and cannot resolve
// its conflict.
func TestOtherTownshipIsInvisible(t *testing.T) {
	requireBrowser(t)
	f := newFixture(t)
	conflicts, err := f.env.App.Engine.ListConflicts(context.Background(), f.env.Actor("reviewer1", "x"), "open", "", 10)
	if err != nil || len(conflicts) != 1 {
		t.Fatalf("conflicts of t1: %v %v", conflicts, err)
	}
	file, err := f.env.App.Engine.ConsoleHousehold(context.Background(), f.env.Actor("reviewer1", "x"), f.hhA)
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t, f.env)
	p.login("reviewer2")

	p.open("/review/queue")
	rows := eval[[]string](p, `[...document.querySelectorAll("#queue tbody tr a")].map(a => a.getAttribute("href"))`)
	if fmt.Sprint(rows) != "[/review/households/"+f.hhZ+"]" {
		t.Errorf("reviewer2's queue: %v, want only %s", rows, f.hhZ)
	}
	p.open("/review/queue?village=t1-v1")
	wantContains(t, "queue of t1-v1", p.text("main"), "未找到")

	p.open("/review/households/" + f.hhA)
	wantContains(t, "t1's household file", p.text("main"), "未找到")
	if body := p.text("main"); strings.Contains(body, "赵大山") {
		t.Errorf("reviewer2 sees t1's household:\n%s", body)
	}
	p.open("/review/photos/" + file.Photos[0].SHA256 + "/thumb")
	wantContains(t, "t1's thumbnail", p.text("main"), "未找到", "HTTP 404")
	p.open("/review/conflicts")
	if n := eval[int](p, `document.querySelectorAll("#conflicts article").length`); n != 0 {
		t.Errorf("reviewer2 sees %d conflicts of t1", n)
	}
	// A forged form with reviewer2's own valid CSRF token.
	p.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement("form");
		f.method = "post"; f.action = "/review/conflicts/` + conflicts[0].ID + `/resolve";
		f.innerHTML = '<input name="csrf" value="' + document.querySelector('input[name=csrf]').value + '"><input name="choice" value="client">';
		document.body.appendChild(f); f.submit(); })()`))
	p.waitFor(`document.title.includes("未找到")`)
	p.shot("08-other-township")
	if still, _ := f.env.App.Engine.ListConflicts(context.Background(), f.env.Actor("reviewer1", "x"), syncproto.ConflictOpen, "", 10); len(still) != 1 {
		t.Errorf("reviewer2 resolved t1's conflict")
	}
}

// A form posted without its CSRF token is refused with the 403 page and
// changes nothing.
func TestFormWithoutCSRFIsRefused(t *testing.T) {
	requireBrowser(t)
	f := newFixture(t)
	p := newPage(t, f.env)
	p.login("reviewer1")
	p.open("/review/conflicts")
	p.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#conflicts article form input[name=csrf]").remove()`),
		chromedp.Click(chromedp.CSS(`#conflicts article form button[value="client"]`)))
	p.waitFor(`document.querySelector("main h1") && document.querySelector("main h1").textContent.includes("无权访问")`)
	wantContains(t, "the refusal", p.text("main"), "HTTP 403", "安全令牌")
	p.shot("09-csrf-refused")
	if still, _ := f.env.App.Engine.ListConflicts(context.Background(), f.env.Actor("reviewer1", "x"), syncproto.ConflictOpen, "", 10); len(still) != 1 {
		t.Errorf("a POST without CSRF token resolved the conflict")
	}
}
