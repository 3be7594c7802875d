package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// The presence log (reports' availability): a span per connection of a
// charger, written from SetChargerPresence's transitions with the group
// commit that flushes them (commit.go), closed by SetAllOffline and Close.

// writePresenceLog applies connects and disconnects, oldest first, inside
// their own savepoint. A connect while a span is open continues it (the
// charger replaced its connection); a disconnect closes the open span,
// never before it began; a charger that does not exist is ignored.
func writePresenceLog(ctx context.Context, tx *sql.Tx, moves []chargerPresence) error {
	moves = append([]chargerPresence(nil), moves...)
	sort.SliceStable(moves, func(i, j int) bool { return moves[i].p.us < moves[j].p.us })
	if _, err := tx.ExecContext(ctx, "SAVEPOINT p"); err != nil {
		return err
	}
	var err error
	for _, m := range moves {
		if m.p.online == 1 {
			_, err = tx.ExecContext(ctx, `INSERT INTO presence_log (charger_id, online_from)
				SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM chargers WHERE id = ?1)
				AND NOT EXISTS (SELECT 1 FROM presence_log WHERE charger_id = ?1 AND online_to IS NULL)`, m.id, m.p.us)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE presence_log SET online_to = ?2
				WHERE charger_id = ?1 AND online_to IS NULL AND online_from <= ?2`, m.id, m.p.us)
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		_, _ = tx.ExecContext(ctx, "ROLLBACK TO p")
	}
	_, _ = tx.ExecContext(ctx, "RELEASE p")
	return err
}

// closePresenceSQL closes every open span at its charger's last-seen time
// (the last moment it was known to be there).
const closePresenceSQL = `UPDATE presence_log SET online_to = max(online_from,
		coalesce((SELECT last_seen_at FROM chargers WHERE chargers.id = presence_log.charger_id), online_from))
	WHERE online_to IS NULL`

// closePresence ends the open spans when the store closes: no connection
// outlives the process.
func (s *Store) closePresence() error {
	_, err := s.w.ExecContext(context.Background(), closePresenceSQL)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return nil // a database not migrated yet (joule migrate status): nothing to close
	}
	if err != nil {
		return fmt.Errorf("close presence log: %w", err)
	}
	return nil
}

// movesPending reports connects or disconnects not yet in the presence log.
func (g *committer) movesPending() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.moves) > 0
}
