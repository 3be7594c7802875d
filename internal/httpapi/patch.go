package httpapi

import (
	"bytes"
	"encoding/json"
)

// PATCH bodies follow JSON merge patch (RFC 7386): a member left out is
// unchanged, a member set to null is cleared, a nested object is merged
// member by member. Handlers decode them into structs of optional fields,
// or, for a whole resource (a site), merge them into the resource's JSON.

// optional is a PATCH member: Set when the body has it, Null when it is
// null. encoding/json calls UnmarshalJSON for a null too (unlike for a
// pointer), which is what tells "null" from "left out".
type optional[T any] struct {
	Set, Null bool
	Value     T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// ptr is the domain's form of the member: nil when left out, a pointer to
// the zero value (which clears) when null.
func (o optional[T]) ptr() *T {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

// mergePatch applies an RFC 7386 merge patch to target, both decoded JSON
// (map[string]any for objects).
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// decodeAny decodes JSON keeping numbers as written (json.Number), so a
// merge does not round them.
func decodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
