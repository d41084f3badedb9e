// Package props reads typed values out of checked, fully known property maps. Values are read
// after Plain has removed the secret wrappers; the maps the engine sends back keep them.
package props

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Plain returns m with every secret replaced by its value, recursively.
func Plain(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsOutput() && v.OutputValue().Known:
		return plainValue(v.OutputValue().Element)
	case v.IsObject():
		return resource.NewProperty(Plain(v.ObjectValue()))
	case v.IsArray():
		items := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			items[i] = plainValue(e)
		}
		return resource.NewProperty(items)
	}
	return v
}

// Str returns the string at key, or nil when it is absent or not a string.
func Str(m resource.PropertyMap, key string) *string {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsString() {
		s := v.StringValue()
		return &s
	}
	return nil
}

// StrOr returns the string at key, or def.
func StrOr(m resource.PropertyMap, key, def string) string {
	if s := Str(m, key); s != nil {
		return *s
	}
	return def
}

// BoolOr returns the boolean at key, or def.
func BoolOr(m resource.PropertyMap, key string, def bool) bool {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsBool() {
		return v.BoolValue()
	}
	return def
}

// IntOr returns the number at key as an int, or def.
func IntOr(m resource.PropertyMap, key string, def int) int {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return def
}

// Strings returns the string list at key (non-strings skipped), or nil when absent.
func Strings(m resource.PropertyMap, key string) []string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsArray() {
		return nil
	}
	out := []string{}
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// StringMap returns the string map at key (non-strings skipped), or nil when absent.
func StringMap(m resource.PropertyMap, key string) map[string]string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		if e.IsString() {
			out[string(k)] = e.StringValue()
		}
	}
	return out
}

// Object returns the object at key, or nil.
func Object(m resource.PropertyMap, key string) resource.PropertyMap {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsObject() {
		return v.ObjectValue()
	}
	return nil
}
