package httpapi

import (
	"net/http"
	"net/url"

	"github.com/joule-ev/joule/internal/charging"
)

// Wallets and saved cards. A driver reads their own wallet and keeps
// their cards under /me; staff (admin, operator) read any user's wallet
// and credit it under /users/{id}. Amounts are decimal strings with the
// currency's places ("20.00" EUR, "500" JPY).

// meUser returns the caller's user id; an API key is not a user (403).
func meUser(r *http.Request) (string, error) {
	p := principal(r)
	if p.UserID == "" {
		return "", charging.Errorf(charging.EFORBIDDEN, "an API key is not a user; /me needs a signed-in user")
	}
	return p.UserID, nil
}

// walletCurrency reads the required currency query parameter.
func walletCurrency(q url.Values) (string, error) {
	c := q.Get("currency")
	if c == "" {
		return "", invalidf("currency is required (an ISO 4217 code such as EUR)")
	}
	if !charging.ValidCurrency(c) {
		return "", invalidf("currency must be an ISO 4217 code such as EUR, got %s", quote(c))
	}
	return c, nil
}

// GET /api/v1/me/wallet?currency=
func (s *Server) myWallet(w http.ResponseWriter, r *http.Request) {
	id, err := meUser(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.wallet(w, r, id)
}

// GET /api/v1/users/{id}/wallet?currency=
func (s *Server) userWallet(w http.ResponseWriter, r *http.Request) {
	s.wallet(w, r, r.PathValue("id"))
}

func (s *Server) wallet(w http.ResponseWriter, r *http.Request, userID string) {
	q := r.URL.Query()
	err := knownParams(q, "currency")
	var currency string
	if err == nil {
		currency, err = walletCurrency(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	wl, err := s.svc.GetWallet(r.Context(), userID, currency)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wl.View())
}

// GET /api/v1/me/wallet/entries?currency=&limit=&cursor=
func (s *Server) myWalletEntries(w http.ResponseWriter, r *http.Request) {
	id, err := meUser(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.walletEntries(w, r, id)
}

// GET /api/v1/users/{id}/wallet/entries?currency=&limit=&cursor=
func (s *Server) userWalletEntries(w http.ResponseWriter, r *http.Request) {
	s.walletEntries(w, r, r.PathValue("id"))
}

func (s *Server) walletEntries(w http.ResponseWriter, r *http.Request, userID string) {
	q := r.URL.Query()
	err := knownParams(q, "currency", "limit", "cursor")
	wq := charging.WalletEntryQuery{UserID: userID, Currency: q.Get("currency"), Cursor: q.Get("cursor")}
	if err == nil && wq.Currency != "" {
		wq.Currency, err = walletCurrency(q)
	}
	if err == nil {
		wq.Limit, err = queryLimit(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListWalletEntries(r.Context(), wq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[charging.WalletEntryView]{Items: mapSlice(p.Items, charging.WalletEntry.View), NextCursor: p.NextCursor})
}

// walletEntryBody is the body of POST /users/{id}/wallet/entries.
type walletEntryBody struct {
	Kind     charging.WalletEntryKind `json:"kind"`
	Amount   charging.Decimal         `json:"amount"`
	Currency string                   `json:"currency"`
	Note     string                   `json:"note"`
}

// POST /api/v1/users/{id}/wallet/entries {kind, amount, currency, note}
func (s *Server) addWalletEntry(w http.ResponseWriter, r *http.Request) {
	var body walletEntryBody
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	switch {
	case body.Kind != charging.WalletTopup && body.Kind != charging.WalletGrant && body.Kind != charging.WalletAdjustment:
		s.invalid(w, r, "kind must be topup, grant or adjustment, got "+quote(string(body.Kind)))
		return
	case body.Currency == "" || !charging.ValidCurrency(body.Currency):
		s.invalid(w, r, "currency must be an ISO 4217 code such as EUR, got "+quote(body.Currency))
		return
	case body.Amount == "":
		s.invalid(w, r, "amount is required (a decimal string such as \"20.00\")")
		return
	}
	n, err := charging.MinorUnits("amount", body.Amount, body.Currency)
	if err == nil && n <= 0 && body.Kind != charging.WalletAdjustment {
		err = charging.Errorf(charging.EINVALID, "amount of a %s must be above zero, got %s", body.Kind, body.Amount)
	}
	if err == nil && n == 0 {
		err = charging.Errorf(charging.EINVALID, "amount of an adjustment must not be zero")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	userID := r.PathValue("id")
	wl, err := s.svc.AddWalletEntry(r.Context(), charging.WalletEntry{UserID: userID, Currency: body.Currency,
		Kind: body.Kind, Amount: n, Note: body.Note})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) {
		a.detail = string(body.Kind) + " " + charging.FormatMinor(n, body.Currency) + " " + body.Currency
	})
	w.Header().Set("Location", "/api/v1/users/"+url.PathEscape(userID)+"/wallet?currency="+body.Currency)
	writeJSON(w, http.StatusCreated, wl.View())
}

// paymentMethodList is the body of GET /me/payment-methods.
type paymentMethodList struct {
	Items []charging.PaymentMethod `json:"items"`
}

// GET /api/v1/me/payment-methods
func (s *Server) listPaymentMethods(w http.ResponseWriter, r *http.Request) {
	id, err := meUser(r)
	if err == nil {
		err = knownParams(r.URL.Query())
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	ms, err := s.svc.ListPaymentMethods(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ms == nil {
		ms = []charging.PaymentMethod{}
	}
	writeJSON(w, http.StatusOK, paymentMethodList{Items: ms})
}

// POST /api/v1/me/payment-methods {paymentMethodId}
func (s *Server) savePaymentMethod(w http.ResponseWriter, r *http.Request) {
	id, err := meUser(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		PaymentMethodID string `json:"paymentMethodId"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	if body.PaymentMethodID == "" {
		s.invalid(w, r, "paymentMethodId is required (the pm_ id Stripe.js gave the card)")
		return
	}
	m, err := s.svc.SavePaymentMethod(r.Context(), id, body.PaymentMethodID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.target, a.detail = m.ID, m.Brand+" "+m.Last4 })
	w.Header().Set("Location", "/api/v1/me/payment-methods")
	writeJSON(w, http.StatusCreated, m)
}

// DELETE /api/v1/me/payment-methods/{id}
func (s *Server) deletePaymentMethod(w http.ResponseWriter, r *http.Request) {
	id, err := meUser(r)
	if err == nil {
		err = s.svc.DeletePaymentMethod(r.Context(), id, r.PathValue("id"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
