package csms

import (
	"context"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// validateIDTag checks an id tag as an operator submits it.
func validateIDTag(t *charging.IDTag) error {
	t.IDTag, t.ParentIDTag = strings.TrimSpace(t.IDTag), strings.TrimSpace(t.ParentIDTag)
	switch {
	case t.IDTag == "":
		return charging.Errorf(charging.EINVALID, "idTag is required")
	case charging.IDTagTooLong(t.IDTag):
		return charging.Errorf(charging.EINVALID, "idTag %q is longer than 20 characters (OCPP IdToken)", t.IDTag)
	case charging.IDTagTooLong(t.ParentIDTag):
		return charging.Errorf(charging.EINVALID, "parentIdTag %q is longer than 20 characters (OCPP IdToken)", t.ParentIDTag)
	case strings.EqualFold(t.ParentIDTag, t.IDTag):
		return charging.Errorf(charging.EINVALID, "idTag %s cannot be its own parent", t.IDTag)
	}
	switch t.Status {
	case "":
		t.Status = charging.AuthAccepted
	case charging.AuthAccepted, charging.AuthBlocked, charging.AuthExpired, charging.AuthInvalid:
	default:
		return charging.Errorf(charging.EINVALID, "status of %s must be Accepted, Blocked, Expired or Invalid, got %q", t.IDTag, t.Status)
	}
	if t.ExpiryDate != nil {
		e := t.ExpiryDate.UTC()
		t.ExpiryDate = &e
	}
	return nil
}

// SaveIDTags inserts or updates id tags (an upsert per tag) after checking
// all of them; it returns them as stored. An ownerId hands the card to
// that user; without one, an existing card keeps its owner (an operator
// blocking a card does not take it from its driver).
func (s *Service) SaveIDTags(ctx context.Context, tags []charging.IDTag) ([]charging.IDTag, error) {
	if len(tags) == 0 {
		return nil, charging.Errorf(charging.EINVALID, "no id tags given")
	}
	for i := range tags {
		if err := validateIDTag(&tags[i]); err != nil {
			return nil, err
		}
		if id := tags[i].OwnerID; id != "" {
			u, err := s.store.GetUser(ctx, id)
			if charging.ErrorCode(err) == charging.ENOTFOUND {
				return nil, charging.Errorf(charging.EINVALID, "ownerId %q of %s is not a user", id, tags[i].IDTag)
			}
			if err != nil {
				return nil, err
			}
			if u.Role != charging.RoleDriver {
				return nil, charging.Errorf(charging.EINVALID, "ownerId %q of %s is a %s; cards belong to drivers", id, tags[i].IDTag, u.Role)
			}
		}
	}
	out := make([]charging.IDTag, 0, len(tags))
	now := s.utcNow()
	for _, t := range tags {
		// What is kept of the stored tag is read in the tag's unit.
		err := s.update(ctx, func(u *unit) error {
			t := t
			prev, err := u.tx.GetIDTag(ctx, t.IDTag)
			switch {
			case err == nil:
				t.CreatedAt = prev.CreatedAt
				if t.OwnerID == "" {
					t.OwnerID = prev.OwnerID
				}
			case charging.ErrorCode(err) == charging.ENOTFOUND:
				t.CreatedAt = now
			default:
				return err
			}
			t.UpdatedAt = now
			return u.tx.SaveIDTag(ctx, t)
		})
		if err != nil {
			return nil, err
		}
		got, err := s.store.GetIDTag(ctx, t.IDTag)
		if err != nil {
			return nil, err
		}
		out = append(out, got)
	}
	return out, nil
}

// GetIDTag returns one id tag.
func (s *Service) GetIDTag(ctx context.Context, idTag string) (charging.IDTag, error) {
	return s.store.GetIDTag(ctx, idTag)
}

// ListIDTags returns a page of id tags ordered by tag.
func (s *Service) ListIDTags(ctx context.Context, q charging.IDTagQuery) (charging.Page[charging.IDTag], error) {
	return s.store.ListIDTags(ctx, q)
}

// DeleteIDTag deletes an id tag; on the embedded default it is then an
// unknown tag again.
func (s *Service) DeleteIDTag(ctx context.Context, idTag string) error {
	return s.store.DeleteIDTag(ctx, idTag)
}

// tagMatches reports whether an id tag is the reserved tag or belongs to
// its parent (group): OCPP 1.6 §5.13 lets a tag with the reservation's
// parentIdTag use it.
func (s *Service) tagMatches(ctx context.Context, idTag string, r charging.Reservation) bool {
	return s.tagMatchesIn(ctx, s.store, idTag, r)
}

// tagMatchesIn is tagMatches reading through tx.
func (s *Service) tagMatchesIn(ctx context.Context, tx charging.Tx, idTag string, r charging.Reservation) bool {
	if strings.EqualFold(idTag, r.IDTag) {
		return true
	}
	if r.ParentIDTag == "" {
		return false
	}
	t, err := tx.GetIDTag(ctx, idTag)
	return err == nil && strings.EqualFold(t.ParentIDTag, r.ParentIDTag)
}
