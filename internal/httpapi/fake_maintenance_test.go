package httpapi_test

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// The local-list and firmware methods of fakeService.

func (f *fakeService) SendLocalList(ctx context.Context, chargerID, updateType string, entries []charging.LocalListEntry) (charging.LocalListOutcome, error) {
	return charging.LocalListOutcome{CommandOutcome: charging.CommandOutcome{Status: charging.CommandAccepted}, Entries: len(entries)}, f.fail("SendLocalList")
}
func (f *fakeService) GetLocalListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error) {
	return charging.LocalListVersion{ChargerID: chargerID}, f.fail("GetLocalListVersion")
}
func (f *fakeService) ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error) {
	return []charging.LocalListVersion{}, f.fail("ListLocalListVersions")
}
