package ocpp16

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements charging.StationMaintenance for 1.6 chargers: the
// LocalAuthListManagement and FirmwareManagement profiles.

// SendLocalList sends SendLocalList.
func (s *Station) SendLocalList(ctx context.Context, u charging.LocalListUpdate) (charging.CommandStatus, error) {
	req := &SendLocalListRequest{ListVersion: u.Version, UpdateType: UpdateType(u.UpdateType)}
	for _, e := range u.Entries {
		req.LocalAuthorizationList = append(req.LocalAuthorizationList, authorizationData(e))
	}
	resp, err := call[SendLocalListResponse](ctx, s, "SendLocalList", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetLocalListVersion sends GetLocalListVersion.
func (s *Station) GetLocalListVersion(ctx context.Context) (int, error) {
	resp, err := call[GetLocalListVersionResponse](ctx, s, "GetLocalListVersion", &GetLocalListVersionRequest{})
	if err != nil {
		return 0, err
	}
	return resp.ListVersion, nil
}

func authorizationData(e charging.LocalListEntry) AuthorizationData {
	d := AuthorizationData{IDTag: e.IDTag}
	if e.Status != "" {
		info := IDTagInfo{Status: AuthorizationStatus(e.Status), ExpiryDate: e.ExpiryDate}
		if e.ParentIDTag != "" {
			p := e.ParentIDTag
			info.ParentIDTag = &p
		}
		d.IDTagInfo = &info
	}
	return d
}

func localListUpdate(r *SendLocalListRequest) charging.LocalListUpdate {
	u := charging.LocalListUpdate{Version: r.ListVersion, UpdateType: string(r.UpdateType), Entries: []charging.LocalListEntry{}}
	for _, d := range r.LocalAuthorizationList {
		e := charging.LocalListEntry{IDTag: d.IDTag}
		if d.IDTagInfo != nil {
			e.Status, e.ExpiryDate, e.ParentIDTag = charging.AuthorizationStatus(d.IDTagInfo.Status), d.IDTagInfo.ExpiryDate, deref(d.IDTagInfo.ParentIDTag)
		}
		u.Entries = append(u.Entries, e)
	}
	return u
}
