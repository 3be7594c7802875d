package charging

import (
	"time"
	"unicode/utf8"
)

// AuthorizationStatus is OCPP's answer about an id tag.
type AuthorizationStatus string

const (
	AuthAccepted     AuthorizationStatus = "Accepted"
	AuthBlocked      AuthorizationStatus = "Blocked"
	AuthExpired      AuthorizationStatus = "Expired"
	AuthInvalid      AuthorizationStatus = "Invalid"
	AuthConcurrentTx AuthorizationStatus = "ConcurrentTx"
)

// IDTag is an identifier a driver charges with (RFID card, app token).
type IDTag struct {
	IDTag       string              `json:"idTag"`
	Status      AuthorizationStatus `json:"status"`
	ExpiryDate  *time.Time          `json:"expiryDate,omitempty"`
	ParentIDTag string              `json:"parentIdTag,omitempty"`
	// OwnerID is the user the tag belongs to ("" for the operator's own
	// cards); sessions started with it belong to that user.
	OwnerID   string    `json:"ownerId,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// IDTagInfo is the answer to an Authorize or a transaction start.
type IDTagInfo struct {
	Status      AuthorizationStatus
	ExpiryDate  *time.Time
	ParentIDTag string
}

// MaxIDTagLength is the length of OCPP 1.6's IdToken (CiString20Type).
const MaxIDTagLength = 20

// IDTagTooLong reports whether an id tag is longer than an IdToken may be,
// counting characters as OCPP's schemas do (maxLength), not bytes.
func IDTagTooLong(idTag string) bool { return utf8.RuneCountInString(idTag) > MaxIDTagLength }
