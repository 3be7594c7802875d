package soap_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/ocpp/soap"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// chargerService is a charger's ChargePoint service: it decodes each request
// with ReadRequest and answers with answer.
func chargerService(t *testing.T, answer func(w http.ResponseWriter, m *soap.Message)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := soap.ReadRequest(r, 0)
		if err != nil {
			var id string
			if m != nil {
				id = m.MessageID
			}
			soap.WriteFault(w, soap.FaultFor(err, soap.NSChargePoint16), id)
			return
		}
		if m.HTTPAction != "/"+m.Operation || m.ContentType != "application/soap+xml" {
			t.Errorf("Content-Type %q action %q, want application/soap+xml with action /%s", m.ContentType, m.HTTPAction, m.Operation)
		}
		answer(w, m)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeEnvelope(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", `application/soap+xml; charset=utf-8`)
	w.WriteHeader(status)
	w.Write(data)
}

func resetRequest(to string) soap.Request {
	return soap.Request{
		Namespace: soap.NSChargePoint16, Operation: "Reset", ChargeBoxIdentity: "CP-16S", To: to,
		Body: soap.RawXML(`<resetRequest xmlns="urn://Ocpp/Cp/2015/10/"><type>Hard</type></resetRequest>`),
	}
}

func TestClientCall(t *testing.T) {
	srv := chargerService(t, func(w http.ResponseWriter, m *soap.Message) {
		if m.ChargeBoxIdentity != "CP-16S" || m.To == "" || m.ReplyTo != soap.Anonymous {
			t.Errorf("request %+v, want identity CP-16S, To and anonymous ReplyTo", m)
		}
		if err := soap.WriteResponse(w, m.Reply(soap.RawXML(`<resetResponse xmlns="urn://Ocpp/Cp/2015/10/"><status>Accepted</status></resetResponse>`))); err != nil {
			t.Error(err)
		}
	})
	var c soap.Client
	m, err := c.Call(context.Background(), resetRequest(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status string `xml:"urn://Ocpp/Cp/2015/10/ status"`
	}
	if err := m.UnmarshalBody(&r); err != nil || r.Status != "Accepted" || m.Operation != "Reset" || !m.Response {
		t.Errorf("answer %+v body %+v, %v; want a Reset response Accepted", m, r, err)
	}
}

func TestClientFault(t *testing.T) {
	srv := chargerService(t, func(w http.ResponseWriter, m *soap.Message) {
		soap.WriteFault(w, soap.SenderFault(soap.NSChargePoint16, soap.SubcodeNotSupported, "no hard reset"), m.MessageID)
	})
	c := soap.Client{HTTP: srv.Client()}
	_, err := c.Call(context.Background(), resetRequest(srv.URL))
	f, ok := errors.AsType[*soap.Fault](err)
	if !ok || f.Code != soap.CodeSender || f.Subcode() != soap.SubcodeNotSupported || f.Reason != "no hard reset" {
		t.Fatalf("Call error = %v, want Sender/NotSupported fault", err)
	}
}

// A request the peer cannot decode comes back as the fault FaultFor gives.
func TestClientFaultFromDecodeError(t *testing.T) {
	srv := chargerService(t, func(w http.ResponseWriter, m *soap.Message) {
		t.Error("handler called for an undecodable request")
	})
	req := resetRequest(srv.URL)
	req.Body = soap.RawXML(`<resetRequest xmlns="urn://Ocpp/Cp/2010/08/"><type>Hard</type></resetRequest>`)
	_, err := (&soap.Client{}).Call(context.Background(), req)
	if f, ok := errors.AsType[*soap.Fault](err); !ok || f.Subcode() != soap.SubcodeNotSupported {
		t.Fatalf("Call error = %v, want a Sender/NotSupported fault", err)
	}
}

func TestClientAnswerMismatch(t *testing.T) {
	tests := []struct {
		name   string
		answer func(m *soap.Message) soap.Response
	}{
		{"other RelatesTo", func(m *soap.Message) soap.Response {
			r := m.Reply(soap.RawXML(`<resetResponse xmlns="urn://Ocpp/Cp/2015/10/"><status>Accepted</status></resetResponse>`))
			r.RelatesTo = "urn:uuid:someone-else"
			return r
		}},
		{"no RelatesTo", func(m *soap.Message) soap.Response {
			r := m.Reply(soap.RawXML(`<resetResponse xmlns="urn://Ocpp/Cp/2015/10/"><status>Accepted</status></resetResponse>`))
			r.RelatesTo = ""
			return r
		}},
		{"other operation", func(m *soap.Message) soap.Response {
			return soap.Response{Operation: "ClearCache", RelatesTo: m.MessageID,
				Body: soap.RawXML(`<clearCacheResponse xmlns="urn://Ocpp/Cp/2015/10/"><status>Accepted</status></clearCacheResponse>`)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := chargerService(t, func(w http.ResponseWriter, m *soap.Message) {
				data, err := soap.EncodeResponse(tt.answer(m))
				if err != nil {
					t.Error(err)
				}
				writeEnvelope(w, http.StatusOK, data)
			})
			_, err := (&soap.Client{}).Call(context.Background(), resetRequest(srv.URL))
			if !errors.Is(err, soap.ErrRelatesTo) {
				t.Errorf("Call error = %v, want ErrRelatesTo", err)
			}
		})
	}
}

func TestClientNotSOAPAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := (&soap.Client{}).Call(context.Background(), resetRequest(srv.URL))
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") || !errors.Is(err, soap.ErrContentType) {
		t.Errorf("Call error = %v, want HTTP 502 and ErrContentType", err)
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, err := (&soap.Client{Timeout: 50 * time.Millisecond}).Call(context.Background(), resetRequest(srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Call error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Call returned after %v, want about 50ms", d)
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := (&soap.Client{}).Call(context.Background(), resetRequest(url)); err == nil {
		t.Error("Call to a closed server succeeded, want an error")
	}
	if _, err := (&soap.Client{}).Call(context.Background(), resetRequest("::not a url")); err == nil {
		t.Error("Call to a bad URL succeeded, want an error")
	}
}
