package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEF5DnbWzRJ6UTYbcHr+mnYRItivcWnaw2EQ+1YB0ZXa host"

func remoteInputs(conn resource.PropertyMap) resource.PropertyMap {
	return resource.PropertyMap{"create": resource.NewProperty("true"), "connection": resource.NewProperty(conn)}
}

func TestCheckAppliesConnectionDefaultsAndSecret(t *testing.T) {
	r, _ := Lookup(RemoteCommand)
	out, failures := Check(r.Inputs, remoteInputs(resource.PropertyMap{
		"host":  resource.NewProperty("10.0.0.5"),
		"proxy": resource.NewProperty(resource.PropertyMap{"host": resource.NewProperty("bastion")}),
	}))
	if len(failures) != 0 {
		t.Fatalf("unexpected failures: %v", failures)
	}
	conn := out["connection"]
	if !conn.IsSecret() {
		t.Fatalf("connection is not secret: %v", conn)
	}
	c := conn.SecretValue().Element.ObjectValue()
	want := map[string]any{"port": 22.0, "user": "root", "dialErrorLimit": 10.0, "perDialTimeout": 15.0}
	for k, v := range want {
		if got := c[resource.PropertyKey(k)].V; got != v {
			t.Errorf("connection.%s = %v, want %v", k, got, v)
		}
	}
	proxy := c["proxy"].ObjectValue()
	if proxy["user"].StringValue() != "root" || proxy["port"].NumberValue() != 22 {
		t.Errorf("proxy defaults not applied: %v", proxy)
	}
	if _, ok := out["logging"]; ok {
		t.Errorf("logging must stay unset (meaning stdoutAndStderr), got %v", out["logging"])
	}
}

func TestCheckKeepsSetValuesAndNestedSecrets(t *testing.T) {
	r, _ := Lookup(RemoteCommand)
	conn := resource.NewProperty(resource.PropertyMap{
		"host": resource.NewProperty("h"), "port": resource.NewProperty(2222.0),
		"privateKey": resource.MakeSecret(resource.NewProperty("KEY")), "dialErrorLimit": resource.NewProperty(-1.0),
	})
	_, failures := Check(r.Inputs, remoteInputs(resource.PropertyMap{}))
	if len(failures) != 1 || failures[0].Property != "connection.host" {
		t.Fatalf("empty connection: failures = %v", failures)
	}
	in := resource.PropertyMap{"connection": resource.MakeSecret(conn)}
	out, failures := Check(r.Inputs, in)
	if len(failures) != 0 {
		t.Fatalf("unexpected failures: %v", failures)
	}
	c := out["connection"].SecretValue().Element.ObjectValue()
	if c["port"].NumberValue() != 2222 || c["dialErrorLimit"].NumberValue() != -1 || !c["privateKey"].IsSecret() {
		t.Errorf("set values changed: %v", c)
	}
}

func TestCheckFailuresNameThePropertyAndHideValues(t *testing.T) {
	r, _ := Lookup(RemoteCommand)
	in := remoteInputs(resource.PropertyMap{
		"host":           resource.NewProperty("h"),
		"port":           resource.NewProperty("twenty-two"),
		"privateKey":     resource.NewProperty(42.0),
		"dialErrorLimit": resource.NewProperty(-2.0),
		"perDialTimeout": resource.NewProperty(1.5),
		"hostKey":        resource.NewProperty("not-a-key"),
	})
	in["logging"] = resource.NewProperty("verbose")
	in["environment"] = resource.NewProperty(resource.PropertyMap{"A": resource.NewProperty(true)})
	_, failures := Check(r.Inputs, in)
	got := map[string]string{}
	for _, f := range failures {
		got[f.Property] = f.Reason
	}
	want := map[string]string{
		"connection.port":           "expected a number, got a string",
		"connection.privateKey":     "expected a string, got a number",
		"connection.dialErrorLimit": "must be at least -1",
		"connection.perDialTimeout": "expected a whole number",
		"connection.hostKey":        "not a public key",
		"logging":                   "must be one of stdout, stderr, stdoutAndStderr, none",
		"environment":               `key "A": expected a string`,
	}
	for k, w := range want {
		if !strings.Contains(got[k], w) {
			t.Errorf("failure for %s = %q, want it to contain %q", k, got[k], w)
		}
	}
	if len(failures) != len(want) {
		t.Errorf("failures = %v", failures)
	}
	for _, f := range failures {
		if strings.Contains(f.Reason, "twenty-two") || strings.Contains(f.Reason, "not-a-key") {
			t.Errorf("a failure quotes the value: %q", f.Reason)
		}
	}
}

func TestCheckAcceptsUnknownValues(t *testing.T) {
	r, _ := Lookup(RemoteCommand)
	unknown := resource.MakeComputed(resource.NewProperty(""))
	in := resource.PropertyMap{"connection": resource.NewProperty(resource.PropertyMap{"host": unknown}), "create": unknown}
	out, failures := Check(r.Inputs, in)
	if len(failures) != 0 {
		t.Fatalf("unexpected failures: %v", failures)
	}
	c := out["connection"].SecretValue().Element.ObjectValue()
	if !c["host"].IsComputed() || c["user"].StringValue() != "root" {
		t.Errorf("connection = %v", c)
	}
	out, failures = Check(r.Inputs, resource.PropertyMap{"connection": unknown})
	if len(failures) != 0 || !out["connection"].IsSecret() {
		t.Errorf("unknown connection: %v %v", out, failures)
	}
}

func TestCheckLocal(t *testing.T) {
	r, _ := Lookup(LocalCommand)
	out, failures := Check(r.Inputs, resource.PropertyMap{
		"interpreter": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("/bin/bash"), resource.NewProperty(1.0)}),
		"triggers":    resource.NewProperty([]resource.PropertyValue{resource.NewProperty(1.0)}),
	})
	if len(failures) != 1 || failures[0].Property != "interpreter" || !strings.Contains(failures[0].Reason, "item 1") {
		t.Fatalf("failures = %v", failures)
	}
	if len(out) != 2 {
		t.Errorf("local Command has no defaults, got %v", out)
	}
}

func TestSchemaDescribesResourcesAndTypes(t *testing.T) {
	raw, err := Schema("1.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Name, Version string
		Types         map[string]map[string]any
		Resources     map[string]struct {
			InputProperties map[string]map[string]any
			RequiredInputs  []string
			Properties      map[string]map[string]any
			Required        []string
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "command" || s.Version != "1.2.1" || len(s.Resources) != len(Resources) {
		t.Fatalf("schema header: %s %s %d resources", s.Name, s.Version, len(s.Resources))
	}
	remote := s.Resources[RemoteCommand]
	if remote.InputProperties["connection"]["secret"] != true || remote.InputProperties["triggers"]["replaceOnChanges"] != true {
		t.Errorf("remote inputs: %v", remote.InputProperties)
	}
	if strings.Join(remote.Required, ",") != "connection,stdout,stderr" {
		t.Errorf("remote required outputs = %v", remote.Required)
	}
	conn := s.Types["command:remote:Connection"]["properties"].(map[string]any)
	if conn["port"].(map[string]any)["default"] != 22.0 {
		t.Errorf("connection.port = %v", conn["port"])
	}
	if _, ok := s.Types["command:local:Logging"]; !ok {
		t.Error("local Logging enum missing")
	}
}

func TestCheckKeepsTheSecretnessOfOutputValues(t *testing.T) {
	r, _ := Lookup(LocalCommand)
	out, failures := Check(r.Inputs, resource.PropertyMap{
		"stdin": resource.NewProperty(resource.Output{Element: resource.NewProperty("s"), Known: true, Secret: true}),
	})
	if len(failures) != 0 || !out["stdin"].IsSecret() || out["stdin"].SecretValue().Element.StringValue() != "s" {
		t.Errorf("stdin = %v, failures %v", out["stdin"], failures)
	}
}
