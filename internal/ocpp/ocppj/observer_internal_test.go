package ocppj

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestResultOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{Errorf(PropertyConstraintViolation, "x"), "PropertyConstraintViolation"},
		{ErrTimeout, "timeout"},
		{fmt.Errorf("write: %w", ErrClosed), "closed"},
		{context.Canceled, "canceled"},
		{errors.New("boom"), "InternalError"},
	} {
		if got := resultOf(tc.err); got != tc.want {
			t.Errorf("resultOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
