// Package spec describes the inputs and outputs of the provider's resources once, as data: Check
// validates and defaults inputs from it and GetSchema renders it, so the two cannot disagree.
package spec

// Kind is the type of a property.
type Kind int

const (
	String Kind = iota
	Bool
	Number
	Integer
	StringList
	StringMap
	AnyList
	Object
	Enum
	AssetOrArchive
	AssetMap // output only: path -> asset
	Archive  // output only
)

// Field is one property of a resource or of an object type.
type Field struct {
	Name     string
	Kind     Kind
	Doc      string
	Required bool
	// Secret properties are wrapped as secrets by Check, whatever the program sent.
	Secret bool
	// Replace marks properties whose change replaces the resource (replaceOnChanges).
	Replace bool
	// Default is applied by Check when the property is absent: a string, bool or int.
	Default any
	// Min is the smallest accepted value of an Integer.
	Min *int
	// Fields of an Object; Ref names the object or enum type in the schema.
	Fields []Field
	Ref    string
	// Values of an Enum.
	Values []string
	// Validate checks a known String value; its error must not quote the value.
	Validate func(string) error
}

// Resource is a resource type: its inputs, and the outputs it adds to them.
type Resource struct {
	Token   string
	Doc     string
	Inputs  []Field
	Outputs []Field
}

// Failure is a Check failure: the property path and why it was refused.
type Failure struct {
	Property string
	Reason   string
}

func intPtr(i int) *int { return &i }
