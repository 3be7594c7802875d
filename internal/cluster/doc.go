// Package cluster lets several identical Joule nodes share the chargers:
// every charger's OCPP connection lives on exactly one node, yet any node
// may send it a command. It needs one NATS server with JetStream.
//
// # Ownership
//
// A JetStream key-value bucket (default "joule_chargers") maps each
// connected charger to the node that holds its connection: the key is the
// charger id (escaped to the KV key alphabet, see keyFor), the value names
// the node and the time of its claim. A node calls Claim when the gateway
// has admitted a charger's connection, before any domain event of it, and
// Release once that connection ended (only when it was the charger's
// current connection). Release deletes the key only if it still names this
// node, by compare-and-delete on the revision it read: it never erases a
// newer owner. ReleaseAll releases every charger of a draining node.
//
// Every node watches the bucket and keeps an owner cache (Owner). A second
// bucket ("<bucket>_nodes", with a bucket-wide max age) holds a heartbeat
// per node; a node whose heartbeat is older than NodeTTL counts as gone, so
// Connected is false for the chargers it still names after a crash. Close
// deletes the node's heartbeat.
//
// Events wraps the node's charging.StationEvents so that the gateway's
// Connected claims and its Disconnected releases; it also keeps a takeover
// from recording a charger offline that is online on its new node.
//
// # Takeover
//
// A charger whose TCP connection died silently may reconnect to another
// node before the old node noticed. The new node's claim overwrites the
// key; the old node's watcher sees a newer revision naming another node
// for a charger still connected locally and lets go of it:
// Local.Disconnect(id, "connected to node <other>"). Its later Release
// finds the other node's name and deletes nothing. A claim's own newer
// revision, and a claim in progress, protect a charger that came back to
// this node from a stale event.
//
// # Routing
//
// Router implements charging.Commander, StationCommander,
// StationMaintenance, SecurityCommander, TransactionStatusAsker and
// Disconnect, so it replaces the gateway as the csms Service's commander.
// A command for a charger connected to this node goes straight to the
// local gateway. Otherwise the owner from the cache gets a NATS request on
// its own subject "<prefix>.<node>.cmd" carrying the method, the charger id,
// the arguments as JSON and the time the requester will wait; the owner
// runs the method on its gateway (each request in its own goroutine, at
// most MaxInFlight at once) with a deadline a margin before the
// requester's, and answers the result or the error's code and message. The
// requester returns the same result, or a *charging.Error with the same
// code and message. Only the owner's gateway talks to the charger, so the
// gateway's one-CALL-in-flight rule still holds cluster-wide.
//
// # Failures
//
//   - No owner in the cache: EUNAVAILABLE "charger X is offline", as the
//     gateway says.
//   - The owner answers "not connected here" (the cache was stale) or NATS
//     reports no responders (the owner is gone): the owner is read again
//     from the KV and, if it changed, the request is sent once more; else
//     EUNAVAILABLE. Both answers prove the command was not sent.
//   - No answer in time: ETIMEOUT (wrapping context.DeadlineExceeded when
//     the caller's deadline passed), never a retry: the command may have
//     reached the charger, and it must not be sent twice.
//   - The caller's context is cancelled: its error, wrapped; a cancel
//     message on the same subject cancels the owner's context too (a
//     command still waiting there for the charger's in-flight slot is then
//     not sent; one already sent is abandoned, as on a single node).
//   - A non-domain error on the owner: EINTERNAL "internal error", with the
//     owner's text in the error chain for the log.
package cluster
