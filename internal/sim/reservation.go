package sim

import (
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// reservation is a ReserveNow in force on a connector (OCPP 1.6 §5.13).
type reservation struct {
	id        int
	idTag     string
	parentTag string
	expiresAt time.Time
}

// expireReservation drops cn's reservation once it expired. Callers hold mu.
func (c *Charger) expireReservation(cn *connector) {
	if cn.reserved != nil && !c.now().Before(cn.reserved.expiresAt) {
		c.log.Info("reservation expired", "connector", cn.id, "reservation", cn.reserved.id)
		cn.reserved = nil
		c.setStatus(cn, cn.idleStatus())
	}
}

// reserveNow holds an Available connector for an id tag; a reservation with
// the same id replaces the old one.
func (c *Charger) reserveNow(r *ocpp16.ReserveNowRequest) *ocpp16.ReserveNowResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	answer := func(s ocpp16.ReservationStatus) *ocpp16.ReserveNowResponse {
		c.log.Info("reserve now", "connector", r.ConnectorID, "reservation", r.ReservationID, "status", string(s))
		return &ocpp16.ReserveNowResponse{Status: s}
	}
	cn := c.connector(r.ConnectorID)
	if cn == nil {
		return answer(ocpp16.ReservationStatusRejected) // connector 0 reservations are not supported
	}
	for _, o := range c.connectors[1:] {
		if o.reserved != nil && o.reserved.id == r.ReservationID && o != cn {
			o.reserved = nil
			c.setStatus(o, o.idleStatus())
		}
	}
	c.expireReservation(cn)
	switch {
	case cn.inoperative:
		return answer(ocpp16.ReservationStatusUnavailable)
	case cn.status == ocpp16.ChargePointStatusFaulted:
		return answer(ocpp16.ReservationStatusFaulted)
	case cn.tx != nil || cn.plugged || cn.reserved != nil && cn.reserved.id != r.ReservationID:
		return answer(ocpp16.ReservationStatusOccupied)
	}
	cn.reserved = &reservation{id: r.ReservationID, idTag: r.IDTag, parentTag: deref(r.ParentIDTag), expiresAt: r.ExpiryDate}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.setStatus(cn, cn.idleStatus())
	return answer(ocpp16.ReservationStatusAccepted)
}

// cancelReservation drops a reservation by id.
func (c *Charger) cancelReservation(r *ocpp16.CancelReservationRequest) *ocpp16.CancelReservationResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cn := range c.connectors[1:] {
		if cn.reserved != nil && cn.reserved.id == r.ReservationID {
			cn.reserved = nil
			c.holdUntil = time.Now().Add(followUpDelay)
			c.setStatus(cn, cn.idleStatus())
			c.log.Info("reservation cancelled", "connector", cn.id, "reservation", r.ReservationID)
			return &ocpp16.CancelReservationResponse{Status: ocpp16.CancelReservationStatusAccepted}
		}
	}
	return &ocpp16.CancelReservationResponse{Status: ocpp16.CancelReservationStatusRejected}
}

// reservedStart answers a remote start on a reserved connector: another id
// tag is refused; the reserving tag starts a transaction that carries the
// reservationId (and ends the reservation). nil means the connector is not
// reserved: the ordinary remote start applies.
func (c *Charger) reservedStart(r *ocpp16.RemoteStartTransactionRequest) *ocpp16.RemoteStartTransactionResponse {
	if r.ConnectorID == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cn := c.connector(*r.ConnectorID)
	if cn == nil {
		return nil
	}
	c.expireReservation(cn)
	res := cn.reserved
	if res == nil {
		return nil
	}
	if r.IDTag != res.idTag {
		c.log.Info("remote start rejected: connector reserved for another id tag", "connector", cn.id, "id_tag", r.IDTag)
		return &ocpp16.RemoteStartTransactionResponse{Status: ocpp16.RemoteStartStopStatusRejected}
	}
	if !txProfileOK(r.ChargingProfile) || cn.tx != nil || cn.inoperative {
		return &ocpp16.RemoteStartTransactionResponse{Status: ocpp16.RemoteStartStopStatusRejected}
	}
	cn.reserved = nil
	c.holdUntil = time.Now().Add(followUpDelay)
	c.startTx(cn, r.IDTag, r.ChargingProfile, nil)
	for i := len(c.outbox) - 1; i >= 0; i-- {
		if m := c.outbox[i]; m.action == "StartTransaction" && m.tx == cn.tx {
			id := res.id
			m.req.(*ocpp16.StartTransactionRequest).ReservationID = &id
		}
	}
	c.log.Info("remote start accepted on the reserved connector", "connector", cn.id, "reservation", res.id)
	return &ocpp16.RemoteStartTransactionResponse{Status: ocpp16.RemoteStartStopStatusAccepted}
}
