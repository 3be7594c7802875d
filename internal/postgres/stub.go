package postgres

import "github.com/joule-ev/joule/internal/charging"

// notYet is what a method not implemented yet returns.
func notYet(method string) error {
	return charging.Errorf(charging.EINTERNAL, "postgres: %s is not implemented yet", method)
}
