package httpapi

import (
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/sessions/{id}/receipt
func (s *Server) getReceipt(w http.ResponseWriter, r *http.Request) {
	rc, err := s.ownReceipt(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

// GET /api/v1/sessions/{id}/receipt.html: the receipt as a printable page.
func (s *Server) getReceiptHTML(w http.ResponseWriter, r *http.Request) {
	rc, err := s.ownReceipt(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusOK)
	if err := receiptPage.Execute(w, rc); err != nil && r.Context().Err() == nil {
		s.log.Error("render receipt", "session", rc.SessionID, "err", err)
	}
}

// ownReceipt returns the receipt of a session the caller may see.
func (s *Server) ownReceipt(r *http.Request) (charging.Receipt, error) {
	id := r.PathValue("id")
	if _, err := s.ownSession(r, id); err != nil {
		return charging.Receipt{}, err
	}
	return s.svc.Receipt(r.Context(), id)
}

// GET /api/v1/stats/sessions?chargerId=&...: the same filters as the
// session list; a driver's totals are of their own sessions.
func (s *Server) sessionTotals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq, err := sessionFilter(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	sq.OwnerID = sessionOwner(r)
	t, err := s.svc.SessionTotals(r.Context(), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// POST /api/v1/sessions/{id}/refund {amount, reason}
func (s *Server) refundSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Amount charging.Decimal `json:"amount"`
		Reason string           `json:"reason"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	if len([]rune(body.Reason)) > 500 {
		s.reject(w, r, invalidf("reason must be at most 500 characters"))
		return
	}
	ses, err := s.svc.RefundSession(r.Context(), r.PathValue("id"), body.Amount, strings.TrimSpace(body.Reason))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ses)
}

//go:embed receipt.html.tmpl
var receiptTemplate string

var receiptPage = template.Must(template.New("receipt").Funcs(template.FuncMap{
	"kwh": func(wh float64) string { return strconv.FormatFloat(wh/1000, 'f', 3, 64) },
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2006-01-02 15:04 UTC")
			}
		}
		return "–"
	},
}).Parse(receiptTemplate))
