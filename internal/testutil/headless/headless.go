// Package headless starts Debian's Chromium without a window for the tests
// that drive the emulator's and the fleet hub's pages, so every browser
// test starts it the same way and skips or fails the same way without it.
package headless

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser starts headless Chromium for the test and stops it when the test
// ends. Without Chromium the test is skipped on a workstation and fails in
// CI (CI=true), where it must run. extra adds allocator options (a proxy, a
// flag) to the defaults.
func Browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		const msg = "install chromium: apt-get install -y chromium"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// Start the browser now, so its start-up is not charged to a step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// Eventually evaluates js (an expression, or a promise, that yields a
// boolean) until it yields true; the deadline within bounds a hang, it
// does not measure speed.
func Eventually(t testing.TB, ctx context.Context, within time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after %v: %s", what, within, js)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ScreenshotDir is where a test saves its screenshots: $SCREENSHOT_DIR
// (created), so CI can keep them as artifacts, or a temporary directory.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// PhoneWidth is the viewport width of the phone the pages must fit: an
// iPhone 12-15's 390 CSS px.
const PhoneWidth = 390

// Screenshots saves the page as <name>-desktop.png and, in a phone's
// viewport (PhoneWidth, which it leaves set), as <name>-phone.png, in
// ScreenshotDir; it fails the test if the page is wider than the phone.
func Screenshots(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := ScreenshotDir(t)
	desktop, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(PhoneWidth, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Sleep(300*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	phone, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); err != nil || !fits {
		t.Errorf("page wider than a %d px phone (%v)", PhoneWidth, err)
	}
	for file, png := range map[string][]byte{name + "-desktop.png": desktop, name + "-phone.png": phone} {
		if !strings.HasPrefix(string(png), "\x89PNG") {
			t.Errorf("%s is not a PNG", file)
		}
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
