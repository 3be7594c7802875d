package httpapi

import (
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// publicCharger is what a driver sees of a charger: its name and site,
// whether it is there and its connectors, not its identity, configuration
// or security.
type publicCharger struct {
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	SiteID     string                   `json:"siteId"`
	Vendor     string                   `json:"vendor"`
	Model      string                   `json:"model"`
	Online     bool                     `json:"online"`
	LastSeenAt *time.Time               `json:"lastSeenAt"`
	Status     charging.ConnectorStatus `json:"status,omitempty"`
	Connectors []publicConnector        `json:"connectors"`
}

type publicConnector struct {
	ConnectorID   int                      `json:"connectorId"`
	Status        charging.ConnectorStatus `json:"status"`
	EVSEID        string                   `json:"evseId"`
	ConnectorType charging.ConnectorType   `json:"connectorType"`
	Format        charging.ConnectorFormat `json:"format"`
	PowerType     charging.PowerType       `json:"powerType"`
	MaxPowerW     float64                  `json:"maxPowerW"`
	Type          string                   `json:"type"`
	UpdatedAt     time.Time                `json:"updatedAt"`
}

func toPublicCharger(c charging.Charger) publicCharger {
	return publicCharger{ID: c.ID, Name: c.Name, SiteID: c.SiteID, Vendor: c.Vendor, Model: c.Model, Online: c.Online, LastSeenAt: c.LastSeenAt,
		Status: c.Status, Connectors: mapSlice(c.Connectors, toPublicConnector)}
}

func toPublicConnector(k charging.Connector) publicConnector {
	return publicConnector{ConnectorID: k.ConnectorID, Status: k.Status, EVSEID: k.EVSEID, ConnectorType: k.ConnectorType,
		Format: k.Format, PowerType: k.PowerType, MaxPowerW: k.MaxPowerW, Type: k.Type, UpdatedAt: k.UpdatedAt}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
