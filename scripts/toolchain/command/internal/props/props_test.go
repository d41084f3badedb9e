package props

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestPlainUnwrapsNestedSecrets(t *testing.T) {
	secret := func(v resource.PropertyValue) resource.PropertyValue { return resource.MakeSecret(v) }
	m := Plain(resource.PropertyMap{
		"connection": secret(resource.NewProperty(resource.PropertyMap{
			"privateKey": secret(resource.NewProperty("KEY")),
			"port":       resource.NewProperty(2222.0),
		})),
		"interpreter": resource.NewProperty([]resource.PropertyValue{secret(resource.NewProperty("/bin/bash"))}),
	})
	conn := Object(m, "connection")
	if conn == nil || StrOr(conn, "privateKey", "") != "KEY" || IntOr(conn, "port", 22) != 2222 {
		t.Errorf("connection = %v", conn)
	}
	if got := Strings(m, "interpreter"); len(got) != 1 || got[0] != "/bin/bash" {
		t.Errorf("interpreter = %v", got)
	}
}

func TestGettersFallBackOnAbsentOrMistypedValues(t *testing.T) {
	m := resource.PropertyMap{"flag": resource.NewProperty("yes"), "env": resource.NewProperty(resource.PropertyMap{
		"A": resource.NewProperty("1"), "B": resource.NewProperty(2.0),
	})}
	if !BoolOr(m, "flag", true) || BoolOr(m, "absent", false) || Str(m, "absent") != nil {
		t.Error("fallbacks not used")
	}
	if env := StringMap(m, "env"); len(env) != 1 || env["A"] != "1" {
		t.Errorf("env = %v", env)
	}
	if Strings(m, "absent") != nil || StringMap(m, "absent") != nil {
		t.Error("absent collections must be nil")
	}
}
