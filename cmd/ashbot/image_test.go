package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The container image (Dockerfile, scripts/image.sh) holds a working
// ashbot that runs as a non-root user, probes its own health and finds the
// settings the image sets. It needs buildah, which `make test-image`
// installs; without it the test says so and skips.
func TestContainerImage(t *testing.T) {
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed: `make test-image` installs it and runs this test")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tag := "localhost/ashbot:image-test"
	buildah := func(args ...string) (string, error) {
		out, err := exec.Command("buildah", append([]string{"--storage-driver", "vfs"}, args...)...).CombinedOutput()
		return string(out), err
	}
	build := exec.Command(filepath.Join(root, "scripts/image.sh"), "build", tag)
	build.Env = append(os.Environ(), "VERSION=image-test")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("image build: %v\n%s", err, out)
	}
	t.Cleanup(func() { buildah("rmi", "--force", tag) })

	cfg, err := buildah("inspect", "--format", "{{.Docker.Config.User}}|{{.Docker.Config.Healthcheck.Test}}|{{.Docker.Config.Entrypoint}}", tag)
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, cfg)
	}
	if want := "10001:10001|[CMD /ashbot healthcheck]|[/ashbot]"; strings.TrimSpace(cfg) != want {
		t.Errorf("image config %q, want %q", strings.TrimSpace(cfg), want)
	}

	ctr, err := buildah("from", tag)
	if err != nil {
		t.Fatalf("from: %v\n%s", err, ctr)
	}
	ctr = strings.TrimSpace(ctr)
	t.Cleanup(func() { buildah("rm", ctr) })
	out, err := buildah("run", "--isolation", "chroot", ctr, "/ashbot", "config", "check")
	if err != nil {
		t.Fatalf("config check in the image: %v\n%s", err, out)
	}
	for _, want := range []string{"BOT_HTTP_ADDR=:30881", "BOT_LOG_FORMAT=json"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check in the image lacks %s:\n%s", want, out)
		}
	}
	if out, err := buildah("run", "--isolation", "chroot", ctr, "/ashbot", "version"); err != nil || strings.TrimSpace(out) != "ashbot image-test" {
		t.Errorf("version in the image: %v %q", err, out)
	}
	// Nothing listens in a container that only ran config check: the
	// health probe must say not ready, not crash.
	if out, err := buildah("run", "--isolation", "chroot", ctr, "/ashbot", "healthcheck"); err == nil || !strings.Contains(out, "not ready") {
		t.Errorf("healthcheck with no bot running: %v %q", err, out)
	}
}
