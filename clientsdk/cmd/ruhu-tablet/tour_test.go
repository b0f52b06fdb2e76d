package main

import (
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruhu-org/ruhu/clientsdk"
)

// root is the repository root, from this package's directory.
const root = "../../.."

// TestTourPhoto: the photo the README tour adds ships with the repository
// and is a JPEG the tablet prepares.
func TestTourPhoto(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "photo add docs/tour/commitment.jpg") {
		t.Fatal("the README tour does not add docs/tour/commitment.jpg")
	}
	f, err := os.Open(filepath.Join(root, "docs/tour/commitment.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	if _, err := jpeg.Decode(f); err != nil || info.Size() > 32<<10 {
		t.Fatalf("commitment.jpg: %v, %d bytes", err, info.Size())
	}
	_, _ = f.Seek(0, 0)
	if _, err := clientsdk.PreparePhoto(f, clientsdk.PhotoOptions{MaxEdge: 1600, Quality: 80}); err != nil {
		t.Fatal(err)
	}
}

// TestMakeRun: make run says that the first build is slow and honours
// the binary's own RUHU_ADDR and RUHU_DATA.
func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	cmd := exec.Command("make", "-n", "-C", root, "run")
	cmd.Env = append(os.Environ(), "RUHU_ADDR=127.0.0.1:18123", "RUHU_DATA=/tmp/ruhu-make-test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n run: %v\n%s", err, out)
	}
	for _, want := range []string{"about a minute", "serve --data /tmp/ruhu-make-test --addr 127.0.0.1:18123", "http://127.0.0.1:18123/"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n run lacks %q:\n%s", want, out)
		}
	}
}
