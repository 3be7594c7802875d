package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	cs := flag.String("cs", "", "WSDL of the central system's service (required)")
	cp := flag.String("cp", "", "WSDL of the charge point's service (required)")
	pkg := flag.String("pkg", "", "Go package name of the generated code (required)")
	dir := flag.String("dir", ".", "output directory for centralsystem_gen.go and chargepoint_gen.go")
	flag.Parse()
	if *cs == "" || *cp == "" || *pkg == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*cs, *cp, *pkg, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "wsdlgen:", err)
		os.Exit(1)
	}
}

func run(csPath, cpPath, pkg, dir string) error {
	files, err := generateFiles(csPath, cpPath, pkg)
	if err != nil {
		return err
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generateFiles returns the generated files by name, so that a test can
// compare them with the checked-in ones without writing.
func generateFiles(csPath, cpPath, pkg string) (files map[string][]byte, err error) {
	// The emitter reports impossible names by panicking with an error,
	// deep in recursion; it becomes this function's error.
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	cs, err := load(csPath)
	if err != nil {
		return nil, err
	}
	cp, err := load(cpPath)
	if err != nil {
		return nil, err
	}
	csSvc := &service{s: cs, role: "CentralSystem"}
	cpSvc := &service{s: cp, role: "ChargePoint", prefix: "CP"}
	if err := assignNames(csSvc, cpSvc); err != nil {
		return nil, err
	}
	files = map[string][]byte{"enums_gen_test.go": enumTable(pkg, csSvc, cpSvc)}
	for name, sv := range map[string]*service{"centralsystem_gen.go": csSvc, "chargepoint_gen.go": cpSvc} {
		src, err := generate(pkg, sv, sv == csSvc)
		if err != nil {
			return nil, fmt.Errorf("%s: gofmt: %w", name, err)
		}
		files[name] = src
	}
	return files, nil
}

func load(path string) (*schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseWSDL(filepath.Base(path), data)
}
