package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Check validates inputs against fields and returns them with defaults applied and secret fields
// wrapped as secrets. Unknown values (during preview) are accepted as they are; unrecognised keys
// are kept. Failure reasons never quote a value, so a secret cannot leak through them.
func Check(fields []Field, news resource.PropertyMap) (resource.PropertyMap, []Failure) {
	var failures []Failure
	out := checkObject(fields, news, "", &failures)
	return out, failures
}

func checkObject(fields []Field, in resource.PropertyMap, prefix string, failures *[]Failure) resource.PropertyMap {
	out := in.Copy()
	for _, f := range fields {
		key := resource.PropertyKey(f.Name)
		path := prefix + f.Name
		v, ok := out[key]
		if !ok || v.IsNull() {
			delete(out, key)
			if f.Required {
				*failures = append(*failures, Failure{path, fmt.Sprintf("missing required property '%s'", path)})
			} else if f.Default != nil {
				out[key] = defaultValue(f.Default)
			}
			continue
		}
		v = checkValue(f, v, path, failures)
		if f.Secret && !v.IsSecret() {
			v = resource.MakeSecret(v)
		}
		out[key] = v
	}
	return out
}

func defaultValue(d any) resource.PropertyValue {
	switch d := d.(type) {
	case int:
		return resource.NewProperty(float64(d))
	case string:
		return resource.NewProperty(d)
	case bool:
		return resource.NewProperty(d)
	}
	panic(fmt.Sprintf("unsupported default %T", d))
}

// Unknown reports whether v is not known yet (a preview value).
func Unknown(v resource.PropertyValue) bool {
	return v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known)
}

func checkValue(f Field, v resource.PropertyValue, path string, failures *[]Failure) resource.PropertyValue {
	if v.IsSecret() {
		return resource.MakeSecret(checkValue(f, v.SecretValue().Element, path, failures))
	}
	if Unknown(v) {
		return v
	}
	if v.IsOutput() {
		// A known output value is checked as its element; a secret one stays secret.
		o := v.OutputValue()
		if o.Secret {
			return resource.MakeSecret(checkValue(f, o.Element, path, failures))
		}
		return checkValue(f, o.Element, path, failures)
	}
	fail := func(reason string) { *failures = append(*failures, Failure{path, reason}) }
	switch f.Kind {
	case Object:
		if !v.IsObject() {
			fail("expected an object, got " + typeName(v))
			return v
		}
		return resource.NewProperty(checkObject(f.Fields, v.ObjectValue(), path+".", failures))
	case StringList, AnyList:
		checkList(f, v, fail)
	case StringMap:
		checkStringMap(v, fail)
	default:
		if reason := checkScalar(f, v); reason != "" {
			fail(reason)
		}
	}
	return v
}

func checkList(f Field, v resource.PropertyValue, fail func(string)) {
	if !v.IsArray() {
		fail("expected a list, got " + typeName(v))
		return
	}
	if f.Kind != StringList {
		return
	}
	for i, e := range v.ArrayValue() {
		if e.IsSecret() {
			e = e.SecretValue().Element
		}
		if !Unknown(e) && !e.IsString() {
			fail(fmt.Sprintf("item %d: expected a string, got %s", i, typeName(e)))
		}
	}
}

func checkStringMap(v resource.PropertyValue, fail func(string)) {
	if !v.IsObject() {
		fail("expected a map of strings, got " + typeName(v))
		return
	}
	for _, k := range v.ObjectValue().StableKeys() {
		e := v.ObjectValue()[k]
		if e.IsSecret() {
			e = e.SecretValue().Element
		}
		if !Unknown(e) && !e.IsString() {
			fail(fmt.Sprintf("key %q: expected a string, got %s", string(k), typeName(e)))
		}
	}
}

// checkScalar returns why v does not fit f, or "".
func checkScalar(f Field, v resource.PropertyValue) string {
	switch f.Kind {
	case String, Enum:
		if !v.IsString() {
			return "expected a string, got " + typeName(v)
		}
		if f.Kind == Enum && !slices.Contains(f.Values, v.StringValue()) {
			return "must be one of " + strings.Join(f.Values, ", ")
		}
		if f.Validate != nil {
			if err := f.Validate(v.StringValue()); err != nil {
				return err.Error()
			}
		}
	case Bool:
		if !v.IsBool() {
			return "expected a boolean, got " + typeName(v)
		}
	case Number:
		if !v.IsNumber() {
			return "expected a number, got " + typeName(v)
		}
	case Integer:
		return checkInteger(f, v)
	case AssetOrArchive:
		if !v.IsAsset() && !v.IsArchive() {
			return "expected an asset or an archive, got " + typeName(v)
		}
	}
	return ""
}

func checkInteger(f Field, v resource.PropertyValue) string {
	if !v.IsNumber() || v.NumberValue() != math.Trunc(v.NumberValue()) {
		return "expected a whole number, got " + typeName(v)
	}
	if f.Min != nil && v.NumberValue() < float64(*f.Min) {
		return fmt.Sprintf("must be at least %d", *f.Min)
	}
	return ""
}

func typeName(v resource.PropertyValue) string {
	switch {
	case v.IsString():
		return "a string"
	case v.IsNumber():
		if v.NumberValue() != math.Trunc(v.NumberValue()) {
			return "a fractional number"
		}
		return "a number"
	case v.IsBool():
		return "a boolean"
	case v.IsArray():
		return "a list"
	case v.IsObject():
		return "an object"
	case v.IsAsset():
		return "an asset"
	case v.IsArchive():
		return "an archive"
	case v.IsResourceReference():
		return "a resource reference"
	}
	return string(v.TypeString())
}
