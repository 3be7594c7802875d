package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// api is a client of Joule's REST API (/api/v1) with the admin token the
// first run wrote to <data>/admin-token.
type api struct {
	base   string // http://host:port/api/v1
	token  string
	client *http.Client
}

// apiSession is what the harness reads of a session (openapi.yaml Session).
type apiSession struct {
	ID            string     `json:"id"`
	ChargerID     string     `json:"chargerId"`
	ConnectorID   int        `json:"connectorId"`
	TransactionID string     `json:"transactionId"`
	Status        string     `json:"status"`
	StartedAt     *time.Time `json:"startedAt"`
	StoppedAt     *time.Time `json:"stoppedAt"`
	MeterStartWh  *float64   `json:"meterStartWh"`
	MeterStopWh   *float64   `json:"meterStopWh"`
	EnergyWh      float64    `json:"energyWh"`
	StopReason    string     `json:"stopReason"`
	Flags         []string   `json:"flags"`
}

// apiSample is one stored sampled value (openapi.yaml MeterSample).
type apiSample struct {
	TransactionID string    `json:"transactionId"`
	Timestamp     time.Time `json:"timestamp"`
	Measurand     string    `json:"measurand"`
	Phase         string    `json:"phase"`
	Context       string    `json:"context"`
	Value         float64   `json:"value"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// do sends a request and decodes a 2xx answer into out (when not nil).
func (a *api) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// registerCharger registers id at security profile 1 and returns the
// password Joule generated for it (POST /chargers).
func (a *api) registerCharger(ctx context.Context, id string) (string, error) {
	var out struct {
		Password string `json:"password"`
	}
	err := a.do(ctx, http.MethodPost, "/chargers", nil, map[string]any{"id": id, "securityProfile": 1}, &out)
	if err != nil {
		return "", err
	}
	if out.Password == "" {
		return "", fmt.Errorf("register %s: no password in the answer", id)
	}
	return out.Password, nil
}

// all reads every page of a list.
func all[T any](ctx context.Context, a *api, path string, q url.Values) ([]T, error) {
	var items []T
	q.Set("limit", "1000")
	for {
		var p page[T]
		if err := a.do(ctx, http.MethodGet, path, q, nil, &p); err != nil {
			return nil, err
		}
		items = append(items, p.Items...)
		if p.NextCursor == "" {
			return items, nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// sessions returns every session of a charger.
func (a *api) sessions(ctx context.Context, chargerID string) ([]apiSession, error) {
	return all[apiSession](ctx, a, "/sessions", url.Values{"chargerId": {chargerID}})
}

// meterValues returns every stored sample of a session.
func (a *api) meterValues(ctx context.Context, sessionID string) ([]apiSample, error) {
	return all[apiSample](ctx, a, "/sessions/"+url.PathEscape(sessionID)+"/meter-values", url.Values{})
}
