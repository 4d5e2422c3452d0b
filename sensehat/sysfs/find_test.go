package sysfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile creates root/rel with content, making the directories on the way.
func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindFramebuffer(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name: "behind HDMI",
			files: map[string]string{
				"class/graphics/fb0/name": "vc4drmfb\n",
				"class/graphics/fb1/name": "RPi-Sense FB\n",
			},
			want: "/dev/fb1",
		},
		{
			name: "not fb1: a DSI screen comes first",
			files: map[string]string{
				"class/graphics/fb0/name": "vc4drmfb\n",
				"class/graphics/fb1/name": "DSI-1\n",
				"class/graphics/fb2/name": "RPi-Sense FB\n",
			},
			want: "/dev/fb2",
		},
		{
			name: "numeric order, not lexical",
			files: map[string]string{
				"class/graphics/fb10/name": "RPi-Sense FB\n",
				"class/graphics/fb9/name":  "RPi-Sense FB\n",
				"class/graphics/fbcon/x":   "",
			},
			want: "/dev/fb9",
		},
		{
			name: "only framebuffer, no newline",
			files: map[string]string{
				"class/graphics/fb0/name": "RPi-Sense FB",
			},
			want: "/dev/fb0",
		},
		{
			name: "entry without a name file is skipped",
			files: map[string]string{
				"class/graphics/fb0/uevent": "",
				"class/graphics/fb3/name":   "RPi-Sense FB\n",
			},
			want: "/dev/fb3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for rel, content := range tc.files {
				writeFile(t, root, rel, content)
			}
			got, err := FindFramebuffer(root, FramebufferName)
			if err != nil || got != tc.want {
				t.Fatalf("FindFramebuffer = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestFindFramebufferNotFound(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		{"no graphics class", nil},
		{"only HDMI", map[string]string{"class/graphics/fb0/name": "vc4drmfb\n"}},
		{"prefix is not a match", map[string]string{"class/graphics/fb0/name": "RPi-Sense FB2\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for rel, content := range tc.files {
				writeFile(t, root, rel, content)
			}
			got, err := FindFramebuffer(root, FramebufferName)
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("FindFramebuffer = %q, %v; want ErrNotFound", got, err)
			}
			for _, s := range []string{"sysfs: ", "dtoverlay=rpi-sense", "--display i2c", `"RPi-Sense FB"`} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestFindInput(t *testing.T) {
	root := t.TempDir()
	// The real layout: class entries are links into /sys/devices, and
	// "device" links up to the inputN directory holding the name.
	devs := filepath.Join(root, "devices", "platform", "soc")
	writeFile(t, root, "devices/platform/soc/hdmi/input/input0/name", "vc4-hdmi\n")
	writeFile(t, root, "devices/platform/soc/hdmi/input/input0/event0/uevent", "")
	writeFile(t, root, "devices/platform/soc/js/input/input4/name", JoystickName+"\n")
	writeFile(t, root, "devices/platform/soc/js/input/input4/event4/uevent", "")
	class := filepath.Join(root, "class", "input")
	if err := os.MkdirAll(class, 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		filepath.Join(devs, "hdmi/input/input0/event0/device"): "../../input0",
		filepath.Join(devs, "js/input/input4/event4/device"):   "../../input4",
		filepath.Join(class, "event0"):                         "../../devices/platform/soc/hdmi/input/input0/event0",
		filepath.Join(class, "event4"):                         "../../devices/platform/soc/js/input/input4/event4",
		filepath.Join(class, "input4"):                         "../../devices/platform/soc/js/input/input4",
		filepath.Join(class, "mice"):                           "../../devices/virtual/input/mice",
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindInput(root, JoystickName)
	if err != nil || got != "/dev/input/event4" {
		t.Fatalf("FindInput = %q, %v; want /dev/input/event4", got, err)
	}

	got, err = FindInput(root, "no such joystick")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("FindInput(unknown) = %q, %v; want ErrNotFound", got, err)
	}
	for _, s := range []string{"sysfs: ", "dtoverlay=rpi-sense", "--joystick i2c"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestFindInputUnreadable(t *testing.T) {
	root := t.TempDir()
	// A name that cannot be read (here a directory, which fails even for
	// root) is an error to report, not a device to skip silently.
	if err := os.MkdirAll(filepath.Join(root, "class/input/event2/device/name"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := FindInput(root, JoystickName)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "sysfs: reading ") {
		t.Fatalf("unreadable name file: err = %v; want a sysfs read error, not ErrNotFound", err)
	}
}
