package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/spec"
	"kubelab.local/toolchain/command/internal/testsshd"
)

func TestCopyToRemote(t *testing.T) {
	srv := testsshd.Start(t)
	s := New("1.2.1", nil)
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "tree", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"file.txt": "file", "tree/a": "a", "tree/sub/b": "b"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	remote := filepath.Join(srv.Dir, "remote")
	text, _ := resource.NewTextAsset("text")
	file, _ := resource.NewPathAsset(filepath.Join(src, "file.txt"))
	tree, _ := resource.NewPathArchive(filepath.Join(src, "tree"))
	for _, tc := range []struct {
		source     resource.PropertyValue
		remotePath string
		want       map[string]string
	}{
		{resource.NewProperty(text), remote + "/deep/text.txt", map[string]string{"deep/text.txt": "text"}},
		{resource.NewProperty(file), remote + "/files/copy.txt", map[string]string{"files/copy.txt": "file"}},
		{resource.NewProperty(tree), remote + "/dirs", map[string]string{"dirs/tree/a": "a", "dirs/tree/sub/b": "b"}},
	} {
		news := checked(t, s, spec.CopyToRemote, resource.PropertyMap{
			"connection": sshConnection(srv, nil), "source": tc.source, "remotePath": str(tc.remotePath),
		})
		resp, err := create(t, s, spec.CopyToRemote, news, false)
		if err != nil {
			t.Fatalf("copy to %s: %v", tc.remotePath, err)
		}
		if len(resp.GetId()) != 8 || !fromStruct(t, resp.GetProperties())["connection"].IsSecret() {
			t.Errorf("response = %v", resp)
		}
		for rel, content := range tc.want {
			if got := readFile(t, filepath.Join(remote, rel)); got != content {
				t.Errorf("%s = %q, want %q", rel, got, content)
			}
		}
	}
}

func TestCopyToRemoteRefusesUnsupportedSources(t *testing.T) {
	s := New("1.2.1", nil)
	text, _ := resource.NewTextAsset("text")
	assetArchive, _ := resource.NewAssetArchive(map[string]any{"a": text})
	resp, err := s.Check(t.Context(), checkRequest(t, spec.CopyToRemote, resource.PropertyMap{
		"connection": resource.NewProperty(resource.PropertyMap{"host": str("h")}),
		"source":     resource.NewProperty(assetArchive), "remotePath": str("/x"),
	}))
	if err != nil || len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "source" {
		t.Errorf("Check = %v, %v", resp, err)
	}
}
