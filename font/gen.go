//go:build ignore

// gen writes data.go from the glyph pictures in glyphs.txt. With -check it
// writes nothing and fails if data.go is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/sensehat/sensehat/font/internal/glyphs"
)

func main() {
	check := flag.Bool("check", false, "fail if data.go differs from what glyphs.txt generates, write nothing")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	f, err := os.Open("glyphs.txt")
	if err != nil {
		return err
	}
	defer f.Close()
	gs, err := glyphs.Parse(f)
	if err != nil {
		return err
	}
	src, err := glyphs.Generate(gs)
	if err != nil {
		return err
	}
	if check {
		old, err := os.ReadFile("data.go")
		if err != nil {
			return err
		}
		if !bytes.Equal(old, src) {
			return fmt.Errorf("data.go is stale: run go generate")
		}
		return nil
	}
	return os.WriteFile("data.go", src, 0o644)
}
