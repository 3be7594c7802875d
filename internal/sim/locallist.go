package sim

import (
	"strconv"
	"strings"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// localAuthList is the charger's local authorization list (OCPP 1.6 §3.5):
// its version and entries by id tag (compared case-insensitively).
type localAuthList struct {
	version int
	entries map[string]ocpp16.IDTagInfo
}

// Local list configuration keys (OCPP 1.6 §9.2).
const (
	keyLocalAuthListEnabled = "LocalAuthListEnabled"
	keyLocalListMaxLength   = "LocalAuthListMaxLength"
	keySendListMaxLength    = "SendLocalListMaxLength"
)

// keyInt reads a stored integer key. Callers hold mu.
func (c *Charger) keyInt(name string) int {
	n, _ := strconv.Atoi(c.keys[name])
	return n
}

func (c *Charger) localListEnabled() bool {
	return strings.EqualFold(c.keys[keyLocalAuthListEnabled], "true")
}

// getLocalListVersion answers GetLocalListVersion: 0 for an empty list.
func (c *Charger) getLocalListVersion() *ocpp16.GetLocalListVersionResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &ocpp16.GetLocalListVersionResponse{ListVersion: c.local.version}
}

// sendLocalList applies a Full or Differential update (OCPP 1.6 §5.15).
func (c *Charger) sendLocalList(r *ocpp16.SendLocalListRequest) *ocpp16.SendLocalListResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	answer := func(s ocpp16.UpdateStatus) *ocpp16.SendLocalListResponse {
		c.log.Info("send local list", "type", string(r.UpdateType), "version", r.ListVersion, "entries", len(r.LocalAuthorizationList), "status", string(s))
		return &ocpp16.SendLocalListResponse{Status: s}
	}
	if !c.localListEnabled() {
		return answer(ocpp16.UpdateStatusNotSupported)
	}
	if len(r.LocalAuthorizationList) > c.keyInt(keySendListMaxLength) || r.ListVersion < 1 {
		return answer(ocpp16.UpdateStatusFailed)
	}
	next := make(map[string]ocpp16.IDTagInfo)
	if r.UpdateType == ocpp16.UpdateTypeDifferential {
		// A differential update must be newer than the list it changes.
		if r.ListVersion <= c.local.version {
			return answer(ocpp16.UpdateStatusVersionMismatch)
		}
		for k, v := range c.local.entries {
			next[k] = v
		}
	}
	for _, d := range r.LocalAuthorizationList {
		key := strings.ToLower(d.IDTag)
		switch {
		case d.IDTagInfo != nil:
			next[key] = *d.IDTagInfo
		case r.UpdateType == ocpp16.UpdateTypeFull:
			return answer(ocpp16.UpdateStatusFailed) // a full list entry needs its idTagInfo
		default:
			delete(next, key)
		}
	}
	if len(next) > c.keyInt(keyLocalListMaxLength) {
		return answer(ocpp16.UpdateStatusFailed)
	}
	c.local = localAuthList{version: r.ListVersion, entries: next}
	return answer(ocpp16.UpdateStatusAccepted)
}

// localAccepted reports whether the local list authorizes idTag now.
// Callers hold mu.
func (c *Charger) localAccepted(idTag string) bool {
	if !c.localListEnabled() {
		return false
	}
	info, ok := c.local.entries[strings.ToLower(idTag)]
	if !ok || info.Status != ocpp16.AuthorizationStatusAccepted {
		return false
	}
	return info.ExpiryDate == nil || c.now().Before(*info.ExpiryDate)
}

// LocalListVersion returns the version of the charger's local list (0: empty).
func (c *Charger) LocalListVersion() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local.version
}
