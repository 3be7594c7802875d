package ocppj

// Queued reports how many Calls hold or wait for c's in-flight slot, so tests
// can order concurrent Calls without sleeping.
func Queued(c *Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.waiters)
	if c.busy {
		n++
	}
	return n
}
