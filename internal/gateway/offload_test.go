package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestOffloadPanicReachesCaller(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "boom") {
			t.Fatalf("recover() = %v, want a panic mentioning boom", r)
		}
	}()
	offload(func() { panic("boom") })
	t.Fatal("offload returned after a panic")
}

type handleStation struct {
	Station // nil: only HandleCall is used
	resp    any
	err     error
}

func (s handleStation) HandleCall(context.Context, string, json.RawMessage) (any, error) {
	return s.resp, s.err
}

func TestHandleOffloaded(t *testing.T) {
	type conf struct {
		Status string `json:"status"`
	}
	errBad := errors.New("bad")
	tests := []struct {
		name    string
		st      handleStation
		want    any
		wantErr error
	}{
		{"struct is encoded", handleStation{resp: conf{Status: "Accepted"}}, json.RawMessage(`{"status":"Accepted"}`), nil},
		{"raw passes", handleStation{resp: json.RawMessage(`{}`)}, json.RawMessage(`{}`), nil},
		{"nil pointer is empty", handleStation{resp: (*conf)(nil)}, nil, nil},
		{"nil", handleStation{}, nil, nil},
		{"error", handleStation{err: errBad}, nil, errBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handleOffloaded(context.Background(), tt.st, "X", nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(tt.want)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("resp = %s, want %s", gb, wb)
			}
		})
	}
	if _, err := handleOffloaded(context.Background(), handleStation{resp: func() {}}, "X", nil); err == nil {
		t.Fatal("unencodable response: no error")
	}
}

func TestConnLoggerAddsConnectionAttrs(t *testing.T) {
	var buf bytes.Buffer
	g := &Gateway{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))}
	g.connLogger("CP1", "ocpp1.6").Info("hello", "k", 1)
	g.connLogger("CP2", "").With("x", 2).Warn("bye")
	want := "level=INFO msg=hello charger=CP1 ocpp=ocpp1.6 k=1\nlevel=WARN msg=bye charger=CP2 x=2\n"
	if buf.String() != want {
		t.Fatalf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}
