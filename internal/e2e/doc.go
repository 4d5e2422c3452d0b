// Package e2e holds process-level tests: the built sensehatd binary against
// a real nats-server process, checked with the nats CLI as a user would.
// They need nats-server and nats on PATH or in the tools cache that
// .ci/run fills; without them the tests skip, or fail when CI=true.
package e2e
