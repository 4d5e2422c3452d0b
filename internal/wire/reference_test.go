package wire_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/wire"
)

// referencePath is the wire reference users read; its subjects table must
// say what the contract package builds.
const referencePath = "../../docs/reference.md"

// referenceSubjects reads the one table under "## Subjects" of the
// reference: the subject pattern (first cell, in backticks) and its
// direction (second cell), in the order written.
func referenceSubjects(t *testing.T) (patterns []string, direction map[string]string) {
	t.Helper()
	f, err := os.Open(referencePath)
	if err != nil {
		t.Fatalf("the wire reference: %v", err)
	}
	defer f.Close()
	direction = map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Subjects"
			continue
		}
		if !in || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("%s: a subjects row with fewer than three cells: %q", referencePath, line)
		}
		first := strings.TrimSpace(cells[1])
		if first == "subject" || strings.Trim(first, "-: ") == "" {
			continue // header and rule
		}
		if !strings.HasPrefix(first, "`") || !strings.HasSuffix(first, "`") {
			t.Errorf("%s: subject %q is not in backticks", referencePath, first)
			continue
		}
		p := strings.Trim(first, "`")
		if _, dup := direction[p]; dup {
			t.Errorf("%s: %s has two rows", referencePath, p)
		}
		patterns = append(patterns, p)
		direction[p] = strings.TrimSpace(cells[2])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(patterns) == 0 {
		t.Fatalf("%s: no table under \"## Subjects\"", referencePath)
	}
	return patterns, direction
}

// TestReferenceSubjectsMatchCatalog: every subject of the contract has its
// row in the reference with the right direction, and every row of the
// reference is a subject of the contract.
func TestReferenceSubjectsMatchCatalog(t *testing.T) {
	patterns, direction := referenceSubjects(t)
	catalog := map[string]wire.Direction{}
	for _, s := range wire.Catalog() {
		catalog[s.Pattern] = s.Direction
		got, ok := direction[s.Pattern]
		switch {
		case !ok:
			t.Errorf("%s has no row for %s (%s): add it", referencePath, s.Pattern, s.Direction)
		case got != string(s.Direction):
			t.Errorf("%s says %s goes %q; the contract says %q", referencePath, s.Pattern, got, s.Direction)
		}
	}
	for _, p := range patterns {
		if _, ok := catalog[p]; !ok {
			t.Errorf("%s lists %s, which the contract (wire.Catalog) does not have", referencePath, p)
		}
	}
}
