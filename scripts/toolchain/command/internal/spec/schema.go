package spec

import "encoding/json"

type obj = map[string]any

// Schema renders the Pulumi package schema of the provider's resources.
func Schema(version string) ([]byte, error) {
	types := obj{}
	resources := obj{}
	for _, r := range Resources {
		inputs, requiredInputs := properties(r.Inputs, types)
		outputs, required := properties(append(append([]Field{}, r.Inputs...), r.Outputs...), types)
		resources[r.Token] = obj{
			"description":     r.Doc,
			"inputProperties": inputs,
			"requiredInputs":  requiredInputs,
			"properties":      outputs,
			"required":        required,
			"type":            "object",
		}
	}
	inputs, requiredInputs := properties(LocalRun.Inputs, types)
	outputs, required := properties(append(append([]Field{}, LocalRun.Inputs...), LocalRun.Outputs...), types)
	functions := obj{LocalRun.Token: obj{
		"description": LocalRun.Doc,
		"inputs":      obj{"type": "object", "properties": inputs, "required": requiredInputs},
		"outputs":     obj{"type": "object", "properties": outputs, "required": required},
	}}
	return json.Marshal(obj{
		"name":        "command",
		"displayName": "Command",
		"version":     version,
		"description": "Runs commands and scripts locally or on remote hosts as part of the Pulumi resource model.",
		"keywords":    []string{"pulumi", "command", "category/utility", "kind/native"},
		"license":     "Apache-2.0",
		"config":      obj{},
		"provider":    obj{"type": "object"},
		"types":       types,
		"resources":   resources,
		"functions":   functions,
	})
}

// properties renders fields as schema properties, registering object and enum types.
func properties(fields []Field, types obj) (obj, []string) {
	props := obj{}
	required := []string{}
	for _, f := range fields {
		p := typeSpec(f, types)
		p["description"] = f.Doc
		if f.Secret {
			p["secret"] = true
		}
		if f.Replace {
			p["replaceOnChanges"] = true
		}
		if f.Default != nil {
			p["default"] = f.Default
		}
		props[f.Name] = p
		if f.Required {
			required = append(required, f.Name)
		}
	}
	return props, required
}

func typeSpec(f Field, types obj) obj {
	switch f.Kind {
	case Bool:
		return obj{"type": "boolean"}
	case Number:
		return obj{"type": "number"}
	case Integer:
		return obj{"type": "integer"}
	case StringList:
		return obj{"type": "array", "items": obj{"type": "string"}}
	case StringMap:
		return obj{"type": "object", "additionalProperties": obj{"type": "string"}}
	case AnyList:
		return obj{"type": "array", "items": obj{"$ref": "pulumi.json#/Any"}}
	case AssetOrArchive:
		// In the schema, Asset stands for an asset or an archive.
		return obj{"$ref": "pulumi.json#/Asset"}
	case AssetMap:
		return obj{"type": "object", "additionalProperties": obj{"$ref": "pulumi.json#/Asset"}}
	case Archive:
		return obj{"$ref": "pulumi.json#/Archive"}
	case Object:
		props, required := properties(f.Fields, types)
		types[f.Ref] = obj{"type": "object", "description": f.Doc, "properties": props, "required": required}
		return obj{"$ref": "#/types/" + f.Ref}
	case Enum:
		values := []obj{}
		for _, v := range f.Values {
			values = append(values, obj{"name": v, "value": v})
		}
		types[f.Ref] = obj{"type": "string", "enum": values}
		return obj{"$ref": "#/types/" + f.Ref}
	}
	return obj{"type": "string"}
}
