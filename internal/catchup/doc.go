// Package catchup restarts a hub stream's stalled sources as soon as the
// Pi they read from can be reached again, so that a Pi's store-and-forward
// backlog reaches the hub seconds after the hub (or the Pi's link) is back
// instead of after nats-server's own retry schedule.
//
// nats-server facts this relies on (server/stream.go of the pinned
// v2.15.2): a source asks the Pi's JetStream for its consumer once and,
// when no answer comes, waits srcConsumerWaitTime (30 s) before it asks
// again, then backs off 10 s more per failure; after a hub restart the
// first request leaves before any leaf node has reconnected, so a Pi's
// backlog waits about 40 s. A source that is newly added by a stream
// update asks at once (after 100 to 200 ms of jitter) and starts from the
// position the hub stream has recorded for it (the Nats-Stream-Source
// headers of what it stored, the store's sources state), so removing a
// stalled source and adding it back resends nothing the hub already holds.
// A source's Active time is -1 until its consumer is set up, and under
// two seconds while it is healthy (the consumer's heartbeat is 1 s).
//
// The Watcher looks at the stream every Interval; a Pi whose sources have
// been idle for longer than Idle is probed with a stream info request in
// its domain ($JS.<domain>.API.STREAM.INFO.<stream>); if it answers, the
// idle sources of that Pi are removed and added back (two stream updates,
// each on the stream's configuration read just before). It works with
// any nats-server on the Pi (Debian's 2.9 included) and needs only a
// connection that may read and edit the hub stream and ask the Pis'
// JetStream.
package catchup
