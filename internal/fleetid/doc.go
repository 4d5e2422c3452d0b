// Package fleetid is the identity of a sensehat fleet in NATS
// decentralized authentication (github.com/nats-io/jwt/v2 and
// github.com/nats-io/nkeys): an operator, a system account, the fleet's
// account, and in that account one scoped signing key per Role whose
// template says what the role may do. Every device, person and program is
// a user JWT signed by its role's key, named after it: the device
// template's {{name()}} makes "sensehat.<id>.>" of one key for every
// device, so no device can speak as another, and no per-device entry is
// ever written into the hub's configuration.
//
// A fleet lives in a directory (Init, Open): seeds, credentials and the
// leaf CA's key 0600, JWTs and certificates public, hub/hub.conf for the
// hub. Adding a device signs one user; removing one revokes its key in
// the account JWT, which Push sends to the hub's full resolver over the
// system account, live. SyncSources makes the hub stream source exactly
// the devices in the fleet, each only on its reading subjects and with a
// bound of its own (HubStreamConfig, HubMaxBytes), so that no device can
// evict another's history.
//
// nats-server facts this relies on (nats-server 2.14.0 and later for the
// hub, read in server/auth.go and server/leafnode.go of the pinned
// v2.15.2): a user signed by a scoped key must carry no permissions of
// its own and gets the template's, with {{name()}} replaced by the user's
// name; a leaf node that logs in with a user's credentials is held to
// that user's permissions on what it sends (only from 2.11.16, 2.12.7 and
// 2.14.0) and what it receives; an account JWT update that revokes a user
// closes that user's connections; the full resolver takes pushed updates
// and keeps a preloaded JWT only when no newer one is stored.
package fleetid
