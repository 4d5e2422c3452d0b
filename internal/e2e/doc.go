// Package e2e holds process-level tests: the built sensehatd binary against
// a real nats-server process, checked with the nats CLI as a user would, or
// with a NATS client where the test compares numbers (the IIO sensors on a
// sysfs tree written with the kernel drivers' arithmetic). They need
// nats-server and nats on PATH or in the tools cache that .ci/run fills;
// without them the tests skip, or fail when CI=true. The iiovm command
// beside them runs the daemon on the kernel's own IIO drivers in a VM
// (.ci/iio-vm.sh).
package e2e
