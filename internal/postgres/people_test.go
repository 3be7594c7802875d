package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// TestPeopleFailedWriteContinues: inside a unit of work, a write of the
// people area that breaks a uniqueness rule or a foreign key returns its
// error and leaves the unit usable (PostgreSQL would abort the whole
// transaction without the savepoint each such write takes).
func TestPeopleFailedWriteContinues(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := charging.User{ID: "u1", Email: "u1@example.com", Role: charging.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(ctx, u, nil, nil); err != nil {
		t.Fatal(err)
	}
	key := charging.APIKey{ID: "k1", Name: "k", Role: charging.RoleViewer, Hash: "h1", CreatedAt: now}
	if err := s.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	tok := charging.AuthToken{Hash: "t1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx charging.Tx) error {
		dup := u
		dup.ID = "u2"
		dup.Email = "U1@example.com"
		if err := tx.CreateUser(ctx, dup, nil, nil); charging.ErrorCode(err) != charging.ECONFLICT {
			t.Errorf("CreateUser with a used email in a unit: %v, want ECONFLICT", err)
		}
		if err := tx.UpdateUser(ctx, dup, false, nil); charging.ErrorCode(err) != charging.ENOTFOUND {
			t.Errorf("UpdateUser of a missing user in a unit: %v, want ENOTFOUND", err)
		}
		k2 := key
		k2.ID = "k2"
		if err := tx.CreateAPIKey(ctx, k2); charging.ErrorCode(err) != charging.ECONFLICT {
			t.Errorf("CreateAPIKey with a used hash in a unit: %v, want ECONFLICT", err)
		}
		if err := tx.CreateToken(ctx, tok); charging.ErrorCode(err) != charging.ECONFLICT {
			t.Errorf("CreateToken with a used hash in a unit: %v, want ECONFLICT", err)
		}
		other := tok
		other.Hash, other.UserID = "t2", "nobody"
		if err := tx.CreateToken(ctx, other); charging.ErrorCode(err) != charging.ENOTFOUND {
			t.Errorf("CreateToken of a missing user in a unit: %v, want ENOTFOUND", err)
		}
		// The unit goes on.
		dup.Email = "u2@example.com"
		if err := tx.CreateUser(ctx, dup, nil, &charging.AuthToken{Hash: "t3", UserID: "u2", CreatedAt: now, ExpiresAt: now}); err != nil {
			return err
		}
		_, err := tx.AddAudit(ctx, charging.AuditEntry{At: now, ActorKind: charging.ActorSystem, Action: "test", Outcome: charging.OutcomeSuccess})
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, got, err := s.GetToken(ctx, "t3"); err != nil || got.ID != "u2" {
		t.Errorf("GetToken t3 after the unit = %v, %v; want u2", got.ID, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; want 2", n, err)
	}

	// A failed unit leaves nothing of the people area behind.
	err = s.Update(ctx, func(tx charging.Tx) error {
		if err := tx.DeleteUser(ctx, "u2"); err != nil {
			return err
		}
		if err := tx.AddSecurityEvent(ctx, charging.SecurityEvent{Source: charging.SecuritySourceJoule, Type: charging.SecFailedAuth,
			Timestamp: now, ReceivedAt: now}); err != nil {
			return err
		}
		return charging.Errorf(charging.EINVALID, "undo")
	})
	if charging.ErrorCode(err) != charging.EINVALID {
		t.Fatalf("Update that fails: %v", err)
	}
	if _, err := s.GetUser(ctx, "u2"); err != nil {
		t.Errorf("GetUser u2 after a rolled back delete: %v", err)
	}
	if p, err := s.ListSecurityEvents(ctx, charging.SecurityEventQuery{}); err != nil || len(p.Items) != 0 {
		t.Errorf("security events after a rolled back unit: %d, %v; want none", len(p.Items), err)
	}
}
