package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	schemas := flag.String("schemas", "", "JSON file holding an array of OCPP JSON schemas (required)")
	pkg := flag.String("pkg", "", "Go package name of the generated code (required)")
	out := flag.String("out", "messages_gen.go", "output file for messages; they decode with the shared scanner of package ocppjson")
	names := flag.String("names", "", "optional JSON object mapping derived type names to preferred names")
	flag.Parse()
	if *schemas == "" || *pkg == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*schemas, *pkg, *out, *names); err != nil {
		fmt.Fprintln(os.Stderr, "ocppgen:", err)
		os.Exit(1)
	}
}

func run(schemaPath, pkg, out, namesPath string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	overrides := map[string]string{}
	if namesPath != "" {
		data, err := os.ReadFile(namesPath)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &overrides); err != nil {
			return fmt.Errorf("%s: %w", namesPath, err)
		}
		for k, v := range overrides {
			if strings.HasPrefix(k, "_") { // comments
				delete(overrides, k)
				continue
			}
			if !isIdent(v) {
				return fmt.Errorf("%s: %q is not a Go identifier", namesPath, v)
			}
		}
	}
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	doc, err := parseOrdered(data)
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	list, ok := doc.([]any)
	if !ok {
		return fmt.Errorf("%s: expected a JSON array of schemas", schemaPath)
	}
	m := newModel(overrides)
	for i, s := range list {
		n, ok := s.(*node)
		if !ok {
			return fmt.Errorf("%s: element %d is not a schema object", schemaPath, i)
		}
		m.addSchema(n)
	}
	source := filepath.Base(schemaPath)
	src, err := generate(m, pkg, source)
	if err != nil {
		os.WriteFile(out+".broken", src, 0o644)
		return fmt.Errorf("formatting generated code (raw output in %s.broken): %w", out, err)
	}
	return os.WriteFile(out, src, 0o644)
}
