// Command fleetpage measures the fleet page of a running `sensehat web` in
// headless Chromium: the time until every device is listed and the first
// page of cards drawn, the memory of Chromium's processes for the page
// (RSS and PSS from /proc), the bytes a second of the page's event stream,
// and the filter box typed into key by key (real key events), each
// keystroke timed from its input event to the frame after the one that
// drew the narrowed cards, and to a task after that (the page's
// window.fleet.lastFilter).
// scripts/fleet-page-scale.sh runs it at 10, 100 and 500 devices.
//
//	go run ./scripts/fleetpage --url http://127.0.0.1:8080 --devices 500
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the page of sensehat web")
	devices := flag.Int("devices", 500, "devices the page must list")
	runs := flag.Int("runs", 5, "times the filter is typed")
	settle := flag.Duration("settle", 15*time.Second, "wait after the devices are listed before memory is read")
	window := flag.Duration("window", 20*time.Second, "how long the event stream is counted")
	text := flag.String("type", "sim-0123", "what is typed into the filter box, key by key, each run")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	if err := run(*url, *chromium, *text, *devices, *runs, *settle, *window); err != nil {
		fmt.Fprintln(os.Stderr, "fleetpage:", err)
		os.Exit(1)
	}
}

func run(url, chromium, text string, devices, runs int, settle, window time.Duration) error {
	profile, err := os.MkdirTemp("", "fleetpage")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.NoFirstRun, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("starting %s: %w", chromium, err)
	}
	browserPID := chromedp.FromContext(ctx).Browser.Process().Pid

	// Until every device is listed and the first page of cards drawn.
	shown := min(devices, 48)
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/")); err != nil {
		return err
	}
	listed := fmt.Sprintf(`new Promise((ok) => { const b = document.getElementById("devices");
		if (b.dataset.count === "%d" && b.dataset.shown === "%d") requestAnimationFrame(() => setTimeout(() => ok(true), 0)); else ok(false); })`, devices, shown)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](listed, chromedp.EvalAwaitPromise))
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Since(start) > 90*time.Second {
			return fmt.Errorf("the page did not list %d devices within 90s", devices)
		}
		time.Sleep(20 * time.Millisecond)
	}
	drawn := time.Since(start)

	// The event stream, counted by a client of its own while the page
	// settles: what one page receives.
	streamBytes := make(chan int64, 1)
	go func() { streamBytes <- countStream(url+"/fleet/events", window) }()
	time.Sleep(max(settle, window))
	perSecond := float64(<-streamBytes) / window.Seconds()
	rss, pss, renderer, err := chromiumMemory(browserPID)
	if err != nil {
		return err
	}
	heap, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.memory ? performance.memory.usedJSHeapSize : 0`))
	if err != nil {
		return err
	}
	elements, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementsByTagName("*").length`))
	if err != nil {
		return err
	}

	// The filter, typed key by key; then cleared (select all, Backspace).
	type cost struct {
		Seq     int     `json:"seq"`
		Text    string  `json:"text"`
		Script  float64 `json:"script"`
		Frame   float64 `json:"frame"`
		Painted float64 `json:"painted"`
		Matched int     `json:"matched"`
		Shown   int     `json:"shown"`
		Touched int     `json:"touched"`
	}
	var costs []cost
	last := 0
	key := func(k string) error {
		if err := chromedp.Do(ctx, chromedp.SendKeys("#filter", k)); err != nil {
			return err
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := chromedp.Run(ctx, chromedp.Evaluate[*cost](`window.fleet.lastFilter()`))
			if err != nil {
				return err
			}
			if c != nil && c.Seq > last {
				last = c.Seq
				costs = append(costs, *c)
				return nil
			}
			if time.Now().After(deadline) {
				return errors.New("no filter cost recorded 30s after a key")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for range runs {
		for _, r := range text {
			if err := key(string(r)); err != nil {
				return err
			}
			time.Sleep(150 * time.Millisecond) // a fast typist
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(document.getElementById("filter").select(), true)`)); err != nil {
			return err
		}
		if err := key(kb.Backspace); err != nil {
			return err
		}
		time.Sleep(time.Second) // the plot's redraw after typing pauses
	}
	var frame, painted, script, pageChanged []float64
	for _, c := range costs {
		frame = append(frame, c.Frame)
		painted = append(painted, c.Painted)
		script = append(script, c.Script)
		if c.Touched > 0 {
			pageChanged = append(pageChanged, c.Frame)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("| %d | %.1f s | %.0f MB | %.0f MB (%.0f MB) | %.1f MB, %d elements | %.0f B/s | %s | %s | %s | %s | %s |\n",
		devices, drawn.Seconds(), renderer/1e6, pss/1e6, rss/1e6, heap/1e6, elements, perSecond,
		stats(frame), stats(pageChanged), stats(painted), stats(script), strings.Join(strings.Fields(string(load))[:3], " "))
	return nil
}

// stats is "median / max (n)" in ms.
func stats(ms []float64) string {
	if len(ms) == 0 {
		return "–"
	}
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	return fmt.Sprintf("%.0f / %.0f ms (%d)", s[len(s)/2], s[len(s)-1], len(s))
}

// countStream reads url for d and returns the bytes received.
func countStream(url string, d time.Duration) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	return n
}

// chromiumMemory sums VmRSS and the PSS of smaps_rollup over the browser
// process and every process below it (renderers, GPU, network, zygotes),
// in bytes, and gives the largest renderer's PSS on its own: the page's
// (the others are spare renderers of a few tens of MB).
func chromiumMemory(root int) (rss, pss, renderer float64, err error) {
	parent := map[int]int{}
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, 0, 0, err
	}
	for _, d := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	under := func(pid int) bool {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				return true
			}
		}
		return false
	}
	for pid := range parent {
		if !under(pid) {
			continue
		}
		r := kB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		p := kB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		rss += r
		pss += p
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmd), "--type=renderer") && p > renderer {
			renderer = p
		}
		if os.Getenv("FLEETPAGE_DEBUG") != "" {
			typ := "browser"
			if i := strings.Index(string(cmd), "--type="); i >= 0 {
				typ = strings.Fields(strings.ReplaceAll(string(cmd[i:]), "\x00", " "))[0]
			}
			fmt.Fprintf(os.Stderr, "pid %d %s: PSS %.0f MB, RSS %.0f MB\n", pid, typ, p/1e6, r/1e6)
		}
	}
	if pss == 0 {
		return 0, 0, 0, fmt.Errorf("no memory read for chromium (pid %d)", root)
	}
	return rss, pss, renderer, nil
}

// kB reads the "field: N kB" line of a /proc file (kB there are KiB), in
// bytes.
func kB(path, field string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), field) {
			v, _ := strconv.ParseFloat(strings.Fields(sc.Text())[1], 64)
			return v * 1024
		}
	}
	return 0
}
