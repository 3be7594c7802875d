package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// node is a JSON object that remembers its key order, so that generated
// struct fields follow the order of the schema file.
type node struct {
	keys []string
	m    map[string]any
}

func (n *node) get(k string) (any, bool) {
	if n == nil {
		return nil, false
	}
	v, ok := n.m[k]
	return v, ok
}

func (n *node) str(k string) string {
	v, _ := n.get(k)
	s, _ := v.(string)
	return s
}

func (n *node) obj(k string) *node {
	v, _ := n.get(k)
	o, _ := v.(*node)
	return o
}

// parseOrdered decodes JSON keeping object key order; numbers stay
// json.Number so that literals such as multipleOf 0.1 are kept exactly.
func parseOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after schema document")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := n.m[k]; !dup {
					n.keys = append(n.keys, k)
				}
				n.m[k] = v
			}
			_, err := dec.Token()
			return n, err
		case '[':
			var arr []any
			for dec.More() {
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	default:
		return tok, nil
	}
}

// ignoredKeywords carry no validation semantics for us.
var ignoredKeywords = map[string]bool{
	"description": true, "$comment": true, "javaType": true, "default": true,
	"$schema": true, "$id": true, "title": true, "comment": true,
	"additionalItems": true, // only meaningful when items is an array, never the case in OCPP schemas
}

// supportedKeywords are the JSON Schema keywords the generator implements.
var supportedKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"enum": true, "maxLength": true, "minLength": true, "minimum": true, "maximum": true,
	"multipleOf": true, "format": true, "items": true, "minItems": true, "maxItems": true,
	"$ref": true, "definitions": true,
}

// canonical renders a schema with $refs inlined, ignored keywords dropped
// and keys sorted: two schemas with the same canonical form validate the
// same documents and can share a Go type.
func canonical(v any, root *node) string {
	var b strings.Builder
	writeCanonical(&b, v, root, 0)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any, root *node, depth int) {
	if depth > 64 {
		panic("ocppgen: schema nesting too deep (recursive $ref?)")
	}
	switch t := v.(type) {
	case *node:
		if ref := t.str("$ref"); ref != "" {
			writeCanonical(b, resolveRef(root, ref), root, depth+1)
			return
		}
		keys := make([]string, 0, len(t.keys))
		for _, k := range t.keys {
			if !ignoredKeywords[k] && k != "definitions" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			if k == "properties" {
				// property names are data, not keywords
				p := t.m[k].(*node)
				pk := append([]string(nil), p.keys...)
				sort.Strings(pk)
				b.WriteByte('{')
				for j, name := range pk {
					if j > 0 {
						b.WriteByte(',')
					}
					nb, _ := json.Marshal(name)
					b.Write(nb)
					b.WriteByte(':')
					writeCanonical(b, p.m[name], root, depth+1)
				}
				b.WriteByte('}')
				continue
			}
			if k == "required" {
				var req []string
				for _, r := range t.m[k].([]any) {
					req = append(req, r.(string))
				}
				sort.Strings(req)
				rb, _ := json.Marshal(req)
				b.Write(rb)
				continue
			}
			writeCanonical(b, t.m[k], root, depth+1)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e, root, depth+1)
		}
		b.WriteByte(']')
	default:
		vb, _ := json.Marshal(t)
		b.Write(vb)
	}
}

func resolveRef(root *node, ref string) *node {
	const prefix = "#/definitions/"
	if !strings.HasPrefix(ref, prefix) {
		fatalf("unsupported $ref %q (only local #/definitions/... references are supported)", ref)
	}
	def := root.obj("definitions").obj(strings.TrimPrefix(ref, prefix))
	if def == nil {
		fatalf("unresolvable $ref %q", ref)
	}
	return def
}
