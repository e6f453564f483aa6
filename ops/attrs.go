package ops

import (
	"fmt"
	"sort"
	"strings"
)

// Attrs are an op's static attributes. Values are int, float64, bool, string,
// []int, DType, Shape or Type. Attrs are part of a node's identity for
// hash-consing.
type Attrs map[string]any

// Int returns an int attribute, or def when absent.
func (a Attrs) Int(key string, def int) int {
	if v, ok := a[key]; ok {
		return v.(int)
	}
	return def
}

// Float returns a float64 attribute, or def when absent.
func (a Attrs) Float(key string, def float64) float64 {
	if v, ok := a[key]; ok {
		return v.(float64)
	}
	return def
}

// Bool returns a bool attribute, or def when absent.
func (a Attrs) Bool(key string, def bool) bool {
	if v, ok := a[key]; ok {
		return v.(bool)
	}
	return def
}

// Str returns a string attribute, or def when absent.
func (a Attrs) Str(key, def string) string {
	if v, ok := a[key]; ok {
		return v.(string)
	}
	return def
}

// Ints returns an []int attribute; ok is false when absent.
func (a Attrs) Ints(key string) ([]int, bool) {
	v, ok := a[key]
	if !ok || v == nil {
		return nil, false
	}
	return v.([]int), true
}

// Shape returns a Shape attribute.
func (a Attrs) Shape(key string) Shape {
	v, _ := a[key].(Shape)
	return v
}

// DType returns a DType attribute, or def when absent.
func (a Attrs) DType(key string, def DType) DType {
	if v, ok := a[key]; ok {
		return v.(DType)
	}
	return def
}

// With returns a copy of a with key set to v.
func (a Attrs) With(key string, v any) Attrs {
	c := make(Attrs, len(a)+1)
	for k, x := range a {
		c[k] = x
	}
	c[key] = v
	return c
}

// Key is a canonical string of the attributes, sorted by name.
func (a Attrs) Key() string {
	if len(a) == 0 {
		return ""
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s=%s", k, formatAttr(a[k]))
	}
	return sb.String()
}

func formatAttr(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case float64:
		return fmt.Sprintf("%g", x)
	case []int:
		return fmt.Sprint(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// intAttr checks that a[key] is absent or an int.
func intAttr(name string, a Attrs, key string) error {
	if v, ok := a[key]; ok {
		if _, ok := v.(int); !ok {
			return &InferError{name, fmt.Sprintf("attribute %s must be an integer, got %v", key, v)}
		}
	}
	return nil
}
