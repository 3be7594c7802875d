package httpapi

// Routes returns "METHOD /path" for every route, for tests.
func (s *Server) Routes() []string { return s.routes }

// ValidChargerID is validChargerID, for tests of what JSON cannot carry
// (invalid UTF-8).
var ValidChargerID = validChargerID
