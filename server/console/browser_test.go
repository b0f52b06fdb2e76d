package console_test

// End-to-end tests in a real headless Chromium (Debian's chromium package,
// never a downloaded browser), driven by chromedp over the DevTools
// protocol, against a real server on a real SQLite file. One browser is
// shared by the test binary; each test opens its own browser context
// (its own cookies).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ruhu-org/ruhu/server/ruhutest"
)

var (
	// browserCtx is the shared browser; nil when Chromium could not start,
	// then browserErr says why.
	browserCtx context.Context
	browserErr error
)

func TestMain(m *testing.M) {
	os.Exit(runWithBrowser(m))
}

func runWithBrowser(m *testing.M) int {
	path := chromiumPath()
	if path == "" {
		browserErr = fmt.Errorf("Chromium not found: install the Debian package chromium (or set RUHU_CHROMIUM)")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "ruhu-chromium-")
	if err != nil {
		browserErr = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(dir),
		chromedp.WindowSize(1366, 768), chromedp.Flag("lang", "zh-CN"))
	defer cancelAlloc()
	b, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(b); err != nil {
		browserErr = fmt.Errorf("start %s: %w", path, err)
		return m.Run()
	}
	browserCtx = b
	return m.Run()
}

// chromiumPath finds the installed Chromium: $RUHU_CHROMIUM, else chromium
// on PATH.
func chromiumPath() string {
	if p := os.Getenv("RUHU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireBrowser skips the test when Chromium could not start, except
// under CI=true, where it fails.
func requireBrowser(t *testing.T) {
	t.Helper()
	if browserCtx == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests cannot run: %v", browserErr)
		}
		t.Skipf("browser tests skipped: %v", browserErr)
	}
}

// page is one browser tab of a test, in its own browser context.
type page struct {
	t   *testing.T
	ctx context.Context
	url string
}

// newPage opens a tab at 1366×768 for a test. Without Chromium the test
// is skipped, except under CI=true, where it fails.
func newPage(t *testing.T, env *ruhutest.Env) *page {
	t.Helper()
	requireBrowser(t)
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	p := &page{t: t, ctx: ctx, url: env.URL}
	// The first action opens the tab, which lives as long as the context
	// of that action: it runs on the page's own context.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return p
}

// do runs steps, each action given at most 15 seconds; on failure the
// test stops with the page's address and text.
func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		href, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string]("location.href"))
		body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 2000) : ''"))
		p.t.Fatalf("browser: %v\npage %s:\n%s", err, href, body)
	}
}

// open navigates to a console path and waits for the page.
func (p *page) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.url+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// eval evaluates a JavaScript expression.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text returns the text of the first element matching a CSS selector.
func (p *page) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// waitFor waits until a page is loaded and a JavaScript condition holds on
// it, across page loads (an evaluation cut by a navigation is tried
// again).
func (p *page) waitFor(cond string) {
	p.t.Helper()
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(30 * time.Millisecond) {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool]("(() => { try { return document.readyState === 'complete' && !!("+cond+") } catch (e) { return false } })()"))
		if err == nil && ok {
			return
		}
		last = err
	}
	href, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string]("location.href"))
	p.t.Fatalf("waiting for %s: %v (page %s)", cond, last, href)
}

// shot writes a full-page PNG screenshot (see save).
func (p *page) shot(name string) {
	p.t.Helper()
	// A page still laying out has no size yet: try again shortly.
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	for i := 0; err != nil && i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		png, err = chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	}
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.save(name, png)
}

// save writes a PNG into $RUHU_SCREENSHOTS (default: the test's
// temporary directory).
func (p *page) save(name string, png []byte) {
	p.t.Helper()
	dir := os.Getenv("RUHU_SCREENSHOTS")
	if dir == "" {
		dir = p.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// viewShot writes a screenshot of what the 1366×768 window shows.
func (p *page) viewShot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.save(name, png)
}

// login fills the login form with the keyboard and submits it with Enter.
func (p *page) login(username string) {
	p.t.Helper()
	p.open("/review/login")
	p.do(chromedp.SendKeys(chromedp.CSS("#username"), username), chromedp.SendKeys(chromedp.CSS("#password"), ruhutest.Password+"\r"))
	p.waitFor(`document.querySelector("header nav") !== null`)
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}
