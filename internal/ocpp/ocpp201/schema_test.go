package ocpp201

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/schematest"
)

// schemas checks the generated decoders against the OCA schemas they were
// generated from, cross-checked with a generic JSON Schema validator.
var schemas = schematest.Suite{
	SchemaFile:     "schemas/ocpp2_0_1.json",
	NumActions:     64,
	Actions:        Actions,
	NewRequest:     NewRequest,
	NewResponse:    NewResponse,
	DecodeRequest:  DecodeRequest,
	DecodeResponse: DecodeResponse,
}

func TestEveryActionHasRequestAndResponse(t *testing.T) { schemas.EveryActionHasRequestAndResponse(t) }

func TestValidExamples(t *testing.T) { schemas.ValidExamples(t) }

func TestInvalidExamples(t *testing.T) { schemas.InvalidExamples(t) }
