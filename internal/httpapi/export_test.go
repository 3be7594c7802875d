package httpapi

// Routes returns "METHOD /path" for every route, for tests.
func (s *Server) Routes() []string { return s.routes }
