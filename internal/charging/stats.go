package charging

import "time"

// PowerQuery selects a power history: the total charging power of every
// session from Since until now, in buckets of Step. Zero fields take the
// service's defaults.
type PowerQuery struct {
	Since time.Time
	Step  time.Duration
}

// PowerHistory is the total charging power over time, oldest bucket first.
// The buckets are Step long from Since; the last one ends at Until (when
// the history was made), so it may be shorter.
type PowerHistory struct {
	Since   time.Time
	Until   time.Time
	Step    time.Duration
	Buckets []PowerBucket
}

// PowerBucket is the total power of the sessions that charged during one
// bucket, averaged over the bucket's time, in W.
type PowerBucket struct {
	Start  time.Time
	PowerW float64
}
