package httpapi_test

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v2"
)

// TestOpenAPIParses: the document is valid YAML with the OpenAPI
// top-level fields, so tools (codegen, Swagger UI) can load it.
func TestOpenAPIParses(t *testing.T) {
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string         `yaml:"openapi"`
		Info       map[string]any `yaml:"info"`
		Paths      map[string]any `yaml:"paths"`
		Components map[string]any `yaml:"components"`
		// The other OpenAPI 3.1 top-level fields; anything else is a typo.
		Servers      any `yaml:"servers"`
		Tags         any `yaml:"tags"`
		Security     any `yaml:"security"`
		ExternalDocs any `yaml:"externalDocs"`
		Webhooks     any `yaml:"webhooks"`
		Dialect      any `yaml:"jsonSchemaDialect"`
	}
	if err := yaml.UnmarshalStrict(b, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if doc.OpenAPI == "" || doc.Info["title"] == nil || len(doc.Paths) < 20 || doc.Components["schemas"] == nil {
		t.Fatalf("openapi.yaml = openapi %q, info %v, %d paths: want a complete OpenAPI document", doc.OpenAPI, doc.Info, len(doc.Paths))
	}
}
