package soapcs

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// TestFault: a fault the charger answers is a CALLERROR of the same name:
// EREJECTED through a typed method, a callerror result through Command.
func TestFault(t *testing.T) {
	cs := newChargerService(t, soap.V16, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		return nil, soap.SenderFault(soap.NSChargePoint16, soap.SubcodeNotSupported, "Reset is not supported by this charger")
	})
	st, _ := station(t, cs, "CP-F", CallerOptions{})
	ctx := context.Background()
	_, err := st.Reset(ctx, true)
	if charging.ErrorCode(err) != charging.EREJECTED || !strings.Contains(charging.ErrorMessage(err), "NotSupported: Reset is not supported by this charger") {
		t.Errorf("Reset: %v; want EREJECTED with NotSupported and the reason", err)
	}
	res, err := st.Command(ctx, "Reset", json.RawMessage(`{"type":"Soft"}`))
	if err != nil || res.Status != charging.ResultCallError || res.Error == nil ||
		res.Error.Code != "NotSupported" || res.Error.Description != "Reset is not supported by this charger" {
		t.Errorf("Command Reset: %+v (error %+v), %v; want a NotSupported callerror", res, res.Error, err)
	}
	if n := len(cs.requests()); n != 2 {
		t.Errorf("the charger got %d requests, want 2", n)
	}
}

// TestFaultError maps SOAP faults to CALLERROR codes.
func TestFaultError(t *testing.T) {
	wsa := func(local string) []xml.Name { return []xml.Name{{Space: soap.NSAddressing, Local: local}} }
	for _, tc := range []struct {
		f    *soap.Fault
		want ocppj.ErrorCode
	}{
		{soap.SenderFault(soap.NSChargePoint15, soap.SubcodeNotSupported, "x"), ocppj.NotSupported},
		{&soap.Fault{Code: soap.CodeSender, Subcodes: wsa(soap.SubcodeActionNotSupported), Reason: "x"}, ocppj.NotSupported},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodeFormationViolation, "x"), ocppj.FormatViolation},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodePropertyConstraintViolation, "x"), ocppj.PropertyConstraintViolation},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodeOccurenceConstraintViolation, "x"), ocppj.OccurrenceConstraintViolation},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodeTypeConstraintViolation, "x"), ocppj.TypeConstraintViolation},
		{soap.ReceiverFault(soap.NSChargePoint16, soap.SubcodeInternalError, "x"), ocppj.InternalError},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodeSecurityError, "x"), ocppj.SecurityError},
		{soap.SenderFault(soap.NSChargePoint16, soap.SubcodeIdentityMismatch, "x"), ocppj.GenericError},
		{&soap.Fault{Code: soap.CodeReceiver, Reason: "x"}, ocppj.InternalError},
		{&soap.Fault{Code: soap.CodeVersionMismatch, Reason: "x"}, ocppj.FormatViolation},
		{&soap.Fault{Code: soap.CodeSender, Reason: "x"}, ocppj.GenericError},
	} {
		if got := soapjson.FaultCallError(tc.f); got.Code != tc.want || got.Description != "x" {
			t.Errorf("FaultCallError(%v) = %s %q, want %s", tc.f, got.Code, got.Description, tc.want)
		}
	}
}

// TestTimeout: a charger that answers nothing within the call timeout is
// ETIMEOUT through a typed method, a timeout result through Command.
func TestTimeout(t *testing.T) {
	cs := newChargerService(t, soap.V16, func(r *http.Request, _ string, _ soapjson.Body) (soapjson.Body, *soap.Fault) {
		<-r.Context().Done() // until Joule gives up
		return nil, nil
	})
	st, _ := station(t, cs, "CP-T", CallerOptions{Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	start := time.Now()
	if _, err := st.Reset(ctx, false); charging.ErrorCode(err) != charging.ETIMEOUT {
		t.Errorf("Reset: %v; want ETIMEOUT", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("Reset gave up after %v, want about the 100ms timeout", d)
	}
	if res, err := st.Command(ctx, "ClearCache", json.RawMessage(`{}`)); err != nil || res.Status != charging.ResultTimeout {
		t.Errorf("Command: %+v, %v; want a timeout result", res, err)
	}
}

// TestUnreachable: no SOAP answer at all (nothing listens, or an HTTP
// error page) is EUNAVAILABLE, and neither the error nor the log shows
// the credentials in the charger's address.
func TestUnreachable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := strings.Replace(closed.URL, "http://", "http://joule:s3cr3t@", 1) + "/ocpp/cp"
	closed.Close()
	errorPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer errorPage.Close()
	ctx := context.Background()
	for name, address := range map[string]string{"refused": addr, "error page": errorPage.URL} {
		var logs bytes.Buffer
		c := NewCaller(soap.V16, "CP-U", address, CallerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		_, err := c.Call(ctx, "Reset", json.RawMessage(`{"type":"Hard"}`))
		if charging.ErrorCode(err) != charging.EUNAVAILABLE || charging.ErrorMessage(err) != "charger CP-U cannot be reached at its SOAP address" {
			t.Errorf("%s: %v; want EUNAVAILABLE", name, err)
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(logs.String(), "s3cr3t") {
			t.Errorf("%s: the password shows: %v\n%s", name, err, logs.String())
		}
		if !strings.Contains(logs.String(), "CP-U") || !strings.Contains(logs.String(), "Reset") {
			t.Errorf("%s: the warning names no charger or operation: %s", name, logs.String())
		}
	}
	noAddress := NewCaller(soap.V15, "CP-N", "", CallerOptions{})
	if _, err := noAddress.Call(ctx, "Reset", json.RawMessage(`{"type":"Hard"}`)); charging.ErrorCode(err) != charging.EUNAVAILABLE ||
		!strings.Contains(charging.ErrorMessage(err), "no address") {
		t.Errorf("without an address: %v; want EUNAVAILABLE saying Joule has no address", err)
	}
}

// TestOneInFlight: calls for one charger never overlap at the charger and
// go out in the order they were made, and a call whose context ends while
// it waits leaves the line unsent.
func TestOneInFlight(t *testing.T) {
	release := make(chan struct{})
	cs := newChargerService(t, soap.V16, func(_ *http.Request, _ string, req soapjson.Body) (soapjson.Body, *soap.Fault) {
		if *req.(*ocpp16s.CPDataTransferRequest).MessageID == "1" {
			<-release
		}
		return &ocpp16s.CPDataTransferResponse{Status: "Accepted"}, nil
	})
	_, c := station(t, cs, "CP-Q", CallerOptions{})
	ctx := context.Background()
	send := func(ctx context.Context, id string) error {
		_, err := c.Call(ctx, "DataTransfer", json.RawMessage(`{"vendorId":"joule","messageId":"`+id+`"}`))
		return err
	}
	errs := make(chan error, 5)
	go func() { errs <- send(ctx, "1") }()
	cs.waitRequests(1)
	waitWaiters(t, c, 0)
	go func() { errs <- send(ctx, "2") }()
	waitWaiters(t, c, 1)
	gone, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- send(gone, "gone") }()
	waitWaiters(t, c, 2)
	go func() { errs <- send(ctx, "3") }()
	waitWaiters(t, c, 3)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("a call cancelled while waiting: %v, want context.Canceled", err)
	}
	waitWaiters(t, c, 2)
	close(release)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	for _, r := range cs.requests() {
		order = append(order, string(*r.body.(*ocpp16s.CPDataTransferRequest).MessageID))
	}
	if strings.Join(order, ",") != "1,2,3" {
		t.Errorf("the charger got %v, want 1,2,3", order)
	}
	if n := cs.maxInflight.Load(); n != 1 {
		t.Errorf("%d calls at once at the charger, want 1", n)
	}
}

// TestCancelKeepsSlot: a call whose context ends after it went out returns
// at once, but the next call waits for the charger's answer to it, as an
// OCPP-J CALL keeps the connection's slot.
func TestCancelKeepsSlot(t *testing.T) {
	release := make(chan struct{})
	cs := newChargerService(t, soap.V16, func(_ *http.Request, op string, _ soapjson.Body) (soapjson.Body, *soap.Fault) {
		if op == "Reset" {
			<-release
			return &ocpp16s.ResetResponse{Status: "Accepted"}, nil
		}
		return &ocpp16s.ClearCacheResponse{Status: "Accepted"}, nil
	})
	_, c := station(t, cs, "CP-K", CallerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, "Reset", json.RawMessage(`{"type":"Soft"}`))
		first <- err
	}()
	cs.waitRequests(1)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v, want context.Canceled", err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), "ClearCache", json.RawMessage(`{}`))
		second <- err
	}()
	waitWaiters(t, c, 1)
	time.Sleep(50 * time.Millisecond)
	if n := len(cs.requests()); n != 1 {
		t.Fatalf("the charger got %d requests while the first was unanswered, want 1", n)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if n := cs.maxInflight.Load(); n != 1 {
		t.Errorf("%d calls at once at the charger, want 1", n)
	}
}

// waitWaiters waits until n calls wait for the caller's slot.
func waitWaiters(t *testing.T, c *Caller, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		c.mu.Lock()
		got := len(c.waiters)
		c.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls wait, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// observer records ObserveCall.
type observer struct {
	mu  sync.Mutex
	got []string
}

func (o *observer) ObserveCall(direction, action, result string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, direction+" "+action+" "+result)
}

// TestObserver: each call that went out is reported, as OCPP-J's are; one
// refused before sending is not.
func TestObserver(t *testing.T) {
	cs := newChargerService(t, soap.V15, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		return nil, soap.SenderFault(soap.NSChargePoint15, soap.SubcodeSecurityError, "no")
	})
	obs := &observer{}
	_, c := station(t, cs, "CP-O", CallerOptions{Observer: obs})
	ctx := context.Background()
	_, _ = c.Call(ctx, "ClearCache", nil)
	_, _ = c.Call(ctx, "TriggerMessage", json.RawMessage(`{"requestedMessage":"Heartbeat"}`))
	want := "outbound ClearCache SecurityError"
	if strings.Join(obs.got, ";") != want {
		t.Errorf("observed %q, want %q", obs.got, want)
	}
}

// TestAnswerWithout16Form: an answer 1.6 cannot say (a 1.5 configuration
// key longer than 1.6 allows) is an internal error naming the charger and
// the operation, as an OCPP-J answer that breaks the schema is.
func TestAnswerWithout16Form(t *testing.T) {
	long := strings.Repeat("K", 60)
	cs := newChargerService(t, soap.V15, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		return &ocpp15.GetConfigurationResponse{ConfigurationKey: []ocpp15.KeyValue{{Key: long, Value: ptr("1")}}}, nil
	})
	st, _ := station(t, cs, "CP-L", CallerOptions{})
	_, err := st.GetConfiguration(context.Background(), nil)
	if charging.ErrorCode(err) != charging.EINTERNAL || !strings.Contains(charging.ErrorMessage(err), "charger CP-L answered GetConfiguration") {
		t.Errorf("GetConfiguration: %v; want EINTERNAL naming the charger and operation", err)
	}
}
