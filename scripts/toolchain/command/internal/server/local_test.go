package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"kubelab.local/toolchain/command/internal/spec"
)

const local = spec.LocalCommand

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLocalCommandLifecycle(t *testing.T) {
	host := &fakeHost{}
	s := New("1.2.1", host)
	dir := t.TempDir()
	inputs := resource.PropertyMap{
		"create": str("echo created; echo warn >&2"),
		"update": str(`echo "updated after $PULUMI_COMMAND_STDOUT"`),
		"delete": str(`echo "$PULUMI_COMMAND_STDOUT" > deleted`),
		"dir":    str(dir),
	}
	news := checked(t, s, local, inputs)
	created, err := create(t, s, local, news, false)
	if err != nil {
		t.Fatal(err)
	}
	state := fromStruct(t, created.GetProperties())
	if state["stdout"].StringValue() != "created" || state["stderr"].StringValue() != "warn" {
		t.Errorf("create outputs: %v", state)
	}
	if !strings.HasPrefix(created.GetId(), "r") || len(created.GetId()) != 9 {
		t.Errorf("id = %q", created.GetId())
	}
	if !strings.Contains(host.all(), "created") || !strings.Contains(host.all(), "warn") {
		t.Errorf("the output was not logged: %q", host.all())
	}

	inputs["environment"] = resource.NewProperty(resource.PropertyMap{"X": str("1")})
	news2 := checked(t, s, local, inputs)
	d := diff(t, s, local, news, news2)
	if d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) != 0 ||
		strings.Join(d.GetDiffs(), ",") != "environment" {
		t.Errorf("diff after an environment change: %v", d)
	}
	updated, err := update(t, s, local, created.GetProperties(), news2, false)
	if err != nil {
		t.Fatal(err)
	}
	state = fromStruct(t, updated.GetProperties())
	if state["stdout"].StringValue() != "updated after created" || state["stderr"].StringValue() != "" {
		t.Errorf("update outputs: %v", state)
	}
	if err := destroy(t, s, local, updated.GetProperties()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "deleted")); got != "updated after created\n" {
		t.Errorf("delete saw PULUMI_COMMAND_STDOUT %q", got)
	}
}

func TestUpdateWithoutUpdateRunsCreateAgain(t *testing.T) {
	s := New("1.2.1", nil)
	olds := checked(t, s, local, resource.PropertyMap{"create": str("echo one")})
	created, err := create(t, s, local, olds, false)
	if err != nil {
		t.Fatal(err)
	}
	news := checked(t, s, local, resource.PropertyMap{"create": str("echo two; echo prev=$PULUMI_COMMAND_STDOUT"),
		"addPreviousOutputInEnv": resource.NewProperty(false)})
	updated, err := update(t, s, local, created.GetProperties(), news, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromStruct(t, updated.GetProperties())["stdout"].StringValue(); got != "two\nprev=" {
		t.Errorf("stdout = %q", got)
	}
}

func TestPreviewRunsNothingAndLeavesOutputsUnknown(t *testing.T) {
	s := New("1.2.1", nil)
	marker := filepath.Join(t.TempDir(), "ran")
	news := checked(t, s, local, resource.PropertyMap{"create": str("touch " + marker), "assetPaths": resource.NewProperty([]resource.PropertyValue{})})
	resp, err := create(t, s, local, news, true)
	if err != nil {
		t.Fatal(err)
	}
	out := fromStruct(t, resp.GetProperties())
	for _, k := range []resource.PropertyKey{"stdout", "stderr", "assets"} {
		if !out[k].IsComputed() {
			t.Errorf("preview %s = %v, want unknown", k, out[k])
		}
	}
	if out["create"].StringValue() != "touch "+marker {
		t.Errorf("preview create = %v", out["create"])
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran during preview")
	}
	upd, err := update(t, s, local, toStruct(t, resource.PropertyMap{"stdout": str("old"), "stderr": str("")}), news, true)
	if err != nil || !fromStruct(t, upd.GetProperties())["stdout"].IsComputed() {
		t.Errorf("update preview: %v %v", upd, err)
	}
}

func TestFailingCreateReportsStatusAndOutputButNotStdin(t *testing.T) {
	s := New("1.2.1", nil)
	news := checked(t, s, local, resource.PropertyMap{
		"create": str("cat >/dev/null; echo half done; exit 4"), "stdin": str("join-token-abc"),
	})
	_, err := create(t, s, local, news, false)
	if err == nil {
		t.Fatal("a failing create succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "exit status 4") || !strings.Contains(msg, "half done") ||
		strings.Contains(msg, "join-token-abc") {
		t.Errorf("error = %q", msg)
	}
}

func TestLoggingNoneLogsNothing(t *testing.T) {
	host := &fakeHost{}
	s := New("1.2.1", host)
	news := checked(t, s, local, resource.PropertyMap{"create": str("echo kubeconfig-secret"), "logging": str("none")})
	resp, err := create(t, s, local, news, false)
	if err != nil {
		t.Fatal(err)
	}
	if host.all() != "" {
		t.Errorf("logged %q", host.all())
	}
	if fromStruct(t, resp.GetProperties())["stdout"].StringValue() != "kubeconfig-secret" {
		t.Error("stdout not captured")
	}
}

func TestAssetAndArchivePaths(t *testing.T) {
	s := New("1.2.1", nil)
	dir := t.TempDir()
	list := func(v ...string) resource.PropertyValue {
		items := []resource.PropertyValue{}
		for _, s := range v {
			items = append(items, str(s))
		}
		return resource.NewProperty(items)
	}
	news := checked(t, s, local, resource.PropertyMap{
		"create":       str("mkdir -p out/sub && echo a > out/a.txt && echo b > out/sub/b.txt && echo s > out/secret.txt"),
		"dir":          str(dir),
		"assetPaths":   list("out/**", "!**secret.*"),
		"archivePaths": list("out/sub/*"),
	})
	resp, err := create(t, s, local, news, false)
	if err != nil {
		t.Fatal(err)
	}
	out := fromStruct(t, resp.GetProperties())
	assets := out["assets"].ObjectValue()
	if len(assets) != 2 || !assets["out/a.txt"].IsAsset() || !assets["out/sub/b.txt"].IsAsset() {
		t.Errorf("assets = %v", assets)
	}
	archive := out["archive"].ArchiveValue()
	if !archive.IsAssets() || len(archive.Assets) != 1 {
		t.Errorf("archive = %v", archive)
	}
}

func TestCancelStopsRunningCommands(t *testing.T) {
	s := New("1.2.1", nil)
	marker := filepath.Join(t.TempDir(), "started")
	news := checked(t, s, local, resource.PropertyMap{"create": str("touch " + marker + "; sleep 300")})
	done := make(chan error, 1)
	go func() { _, err := create(t, s, local, news, false); done <- err }()
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %v", err)
	}
	// Operations after the cancellation run normally.
	if _, err := create(t, s, local, checked(t, s, local, resource.PropertyMap{"create": str("true")}), false); err != nil {
		t.Errorf("create after Cancel: %v", err)
	}
}

func TestPluginInfoAndSchema(t *testing.T) {
	s := New("1.2.1", nil)
	info, err := s.GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil || info.GetVersion() != "1.2.1" {
		t.Errorf("GetPluginInfo = %v, %v", info, err)
	}
	schema, err := s.GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil || !strings.Contains(schema.GetSchema(), `"command:remote:Command"`) {
		t.Errorf("GetSchema: %v", err)
	}
}

func TestLocalRunFunction(t *testing.T) {
	s := New("1.2.1", nil)
	args := toStruct(t, resource.PropertyMap{"command": str("echo ran; echo $X"),
		"environment": resource.NewProperty(resource.PropertyMap{"X": str("x")})})
	resp, err := s.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:local:run", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	out := fromStruct(t, resp.GetReturn())
	if out["stdout"].StringValue() != "ran\nx" || out["command"].StringValue() != "echo ran; echo $X" {
		t.Errorf("return = %v", out)
	}
	resp, err = s.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:local:run", Args: toStruct(t, resource.PropertyMap{})})
	if err != nil || len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "command" {
		t.Errorf("without command: %v %v", resp, err)
	}
}
