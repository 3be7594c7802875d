package httpapi_test

import (
	"context"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// The smart-charging methods of fakeService are the real ones (csms.Service
// on the test's SQLite store, as its sites).

func (f *fakeService) SiteLoad(ctx context.Context, siteID string) (charging.SiteLoad, error) {
	return f.smart.SiteLoad(ctx, siteID)
}

func (f *fakeService) SiteLoadHistory(ctx context.Context, siteID string, from, to time.Time, limit int) ([]charging.SiteLoadSample, error) {
	return f.smart.SiteLoadHistory(ctx, siteID, from, to, limit)
}

func (f *fakeService) SetGridSignal(ctx context.Context, siteID string, g *charging.GridSignal) (charging.Site, error) {
	return f.smart.SetGridSignal(ctx, siteID, g)
}

func (f *fakeService) PushSiteMeter(ctx context.Context, siteID string, r charging.SiteMeterReading) error {
	return f.smart.PushSiteMeter(ctx, siteID, r)
}

func (f *fakeService) SetSessionPriority(ctx context.Context, sessionID string, priority bool) (charging.Session, error) {
	return f.smart.SetSessionPriority(ctx, sessionID, priority)
}
