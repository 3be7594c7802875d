package charging

import (
	"context"
	"time"
)

// ReservationStatus is where a reservation is in its life:
// pending → active → used | cancelled | expired, or pending → rejected | failed.
type ReservationStatus string

const (
	ReservationPending   ReservationStatus = "pending"   // recorded, ReserveNow sent, no answer yet
	ReservationActive    ReservationStatus = "active"    // the charger accepted it
	ReservationRejected  ReservationStatus = "rejected"  // the charger answered Faulted, Occupied, Rejected or Unavailable
	ReservationFailed    ReservationStatus = "failed"    // the charger was offline or did not answer
	ReservationCancelled ReservationStatus = "cancelled" // CancelReservation was accepted
	ReservationExpired   ReservationStatus = "expired"   // its expiry date passed unused
	ReservationUsed      ReservationStatus = "used"      // a transaction started with its reservationId
)

// Open reports whether the reservation still holds its connector.
func (s ReservationStatus) Open() bool { return s == ReservationPending || s == ReservationActive }

// Reservation holds a connector for an id tag until an expiry date (OCPP
// 1.6 ReserveNow). ID is the OCPP reservationId; Joule allocates it.
type Reservation struct {
	ID          int               `json:"id"`
	ChargerID   string            `json:"chargerId"`
	ConnectorID int               `json:"connectorId"`
	IDTag       string            `json:"idTag"`
	ParentIDTag string            `json:"parentIdTag,omitempty"`
	ExpiresAt   time.Time         `json:"expiryDate"`
	Status      ReservationStatus `json:"status"`
	// ChargerAnswer is the charger's answer to ReserveNow (Accepted,
	// Occupied, ...), "" before it answered.
	ChargerAnswer string `json:"chargerAnswer,omitempty"`
	// SessionID is the session whose transaction used the reservation.
	SessionID string    `json:"sessionId,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ReservationStore keeps reservations.
type ReservationStore interface {
	// NextReservationID returns a new, never used OCPP reservation id (> 0).
	NextReservationID(ctx context.Context) (int, error)
	// CreateReservation inserts a reservation. It fails with ECONFLICT when
	// the connector already has an open (pending or active) reservation.
	CreateReservation(ctx context.Context, r Reservation) error
	// UpdateReservation overwrites the reservation with the same ID.
	UpdateReservation(ctx context.Context, r Reservation) error
	GetReservation(ctx context.Context, id int) (Reservation, error)
	// ListReservations returns matching reservations, newest (ID) first.
	ListReservations(ctx context.Context, q ReservationQuery) (Page[Reservation], error)
}

// ReservationQuery selects reservations; empty fields match everything.
type ReservationQuery struct {
	ChargerID     string
	ConnectorID   int // 0 matches every connector
	Status        []ReservationStatus
	ExpiresBefore time.Time // zero matches every time
	Cursor        string
	Limit         int // 0 means 100
}

// ReserveRequest is a driver's request to hold a connector until ExpiresAt.
type ReserveRequest struct {
	ChargerID   string
	ConnectorID int
	IDTag       string
	ParentIDTag string
	ExpiresAt   time.Time
}
