package fleetid

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"

	"github.com/sensehat/sensehat/internal/wire"
)

// Role is what an identity may do. Each role has its own signing key in
// the account, scoped by a template: a user signed by that key gets the
// template's permissions and nothing else, whatever its JWT says (the
// server refuses a scoped user whose JWT carries permissions of its own).
// Changing what a role may do is one new account JWT, pushed live.
type Role string

// The roles. Device is the Pi; the others are people and programs.
const (
	Device        Role = "device"
	Admin         Role = "admin"
	Operator      Role = "operator"
	HomeAssistant Role = "homeassistant"
	Web           Role = "web"
	Reader        Role = "reader"
)

// Roles lists every role, Device first; CredsRoles the ones `fleet creds`
// makes (a device comes from `fleet add`).
var (
	Roles      = []Role{Device, Admin, Operator, HomeAssistant, Web, Reader}
	CredsRoles = []Role{Admin, Operator, HomeAssistant, Web, Reader}
)

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("fleetid: unknown role %q: use one of %s", s, strings.Join(names, ", "))
}

// Limits a role's users are held to, per connection. A reading is a few
// hundred bytes and a discovery message a few KB; a command to the matrix
// (a GIF) is the largest thing anyone sends.
const (
	DevicePayload = 64 << 10
	DeviceSubs    = 64
	// AccountPayload bounds every message of the account: the largest
	// command (payload.MaxPayload, 64 KB) and its headers. nats-server
	// applies a user's payload limit to NATS connections only; over MQTT
	// only this one holds, so it is what bounds each retained message Home
	// Assistant can leave.
	AccountPayload = 68 << 10
	HASubs         = 256
	// ReaderPayload: a reader only sends JetStream API requests.
	ReaderPayload = 4 << 10
	// ResponseExpiry is how long an operator's `sensehat emulate --nats`
	// may answer a request it received: a led.text reply comes when the
	// text has been shown, which may be long after the request behind a
	// full queue.
	ResponseExpiry = time.Hour
)

// SourceDeliverPrefix is the deliver prefix of the hub's source of one
// device's stream: the device's own namespace, so the device's leaf may
// publish the sourced messages there and nowhere else (a shared
// $JS.S.> would let any device write into any other's source).
func SourceDeliverPrefix(id string) string { return "_SENSEHAT_SRC." + id }

// DeviceDomain is the JetStream domain of a device's own nats-server.
func DeviceDomain(id string) string { return "sensehat-" + id }

// jsRead is the JetStream API a role that reads history needs, in the
// domain-less and every domain's form: stream and consumer info, ephemeral
// consumers, direct and message gets. No create, edit, purge or delete of
// a stream.
func jsRead() []string {
	verbs := []string{
		"INFO",
		"STREAM.INFO.*", "STREAM.NAMES", "STREAM.LIST",
		"STREAM.MSG.GET.*", "DIRECT.GET.*", "DIRECT.GET.*.>",
		"CONSUMER.CREATE.*", "CONSUMER.CREATE.*.>",
		"CONSUMER.INFO.*.*", "CONSUMER.DELETE.*.*", "CONSUMER.MSG.NEXT.*.*",
		"CONSUMER.NAMES.*", "CONSUMER.LIST.*",
	}
	var out []string
	for _, v := range verbs {
		out = append(out, "$JS.API."+v, "$JS.*.API."+v)
	}
	return append(out, "$JS.FC.>", "$JS.ACK.>")
}

// roleTemplate returns the permissions and limits of role r in fleet s, with
// devices the ids in the fleet (Home Assistant may command those only).
func roleTemplate(r Role, s Settings, devices []string) (jwt.UserPermissionLimits, error) {
	p := s.Prefix
	ha, err := wire.NewHomeAssistant(s.HAPrefix)
	if err != nil {
		return jwt.UserPermissionLimits{}, err
	}
	var t jwt.UserPermissionLimits
	t.NatsLimits = jwt.NatsLimits{Subs: jwt.NoLimit, Data: jwt.NoLimit, Payload: jwt.NoLimit}
	std := []string{jwt.ConnectionTypeStandard, jwt.ConnectionTypeWebsocket}
	inbox := "_INBOX.>"
	switch r {
	case Device:
		// {{name()}} is the user's name, which `fleet add` sets to the
		// device id: the server substitutes it at login, so the one key
		// scopes every device to its own subjects.
		me := wire.Subjects{Prefix: p, ID: "{{name()}}"}
		// the object id of hass.Device.ObjectID, whose rule the id
		// already meets (fleet add checks it)
		obj := objectIDPart(p) + "_{{name()}}"
		dom := DeviceDomain("{{name()}}")
		t.Pub.Allow = []string{
			me.All(),
			ha.DeviceConfig(obj),
			// its own JetStream (the store-and-forward stream on the Pi),
			// whether it asks through the hub or its own server
			"$JS." + dom + ".API.>",
			// the hub's sourcing of its stream arrives under its own prefix,
			// and the answer to the hub's consumer-create request on the
			// hub's scoped reply subject (js_api_reply_v2 in hub.conf)
			SourceDeliverPrefix("{{name()}}") + ".>",
			"$JSC.R." + dom + ".>",
			// Replies, to the tool's requests, micro discovery and the
			// fan-outs, all on _INBOX (a hub tells a leaf node of a reply
			// subject's interest only if the leaf may publish on it). A
			// device cannot subscribe to _INBOX.>, so it knows only the
			// reply subjects of requests it received. No allow_responses:
			// nats-server checks a request's subject, never its reply
			// subject, so with it a device could send itself a request
			// replying onto any subject and answer it, once per request.
			"_INBOX.>",
			// and the replies to its own requests through the hub to its
			// own JetStream, which its Pi's leaf sends back
			"_INBOX_{{name()}}.>",
		}
		t.Pub.Allow = append(t.Pub.Allow, desiredDevice(s.HubDomain, "{{name()}}")...)
		all := wire.Subjects{Prefix: p, ID: wire.All}
		anyS := wire.Subjects{Prefix: p, ID: wire.Any}
		t.Sub.Allow = []string{
			me.Base() + ".led.>", me.Status(), me.ColourConfig(),
			all.All(),
			// "any" should be allowed in the queue group only ("subject
			// queue"), but nats-server drops such entries from a permission
			// list that holds a template (server/auth.go,
			// processUserPermissionsTemplate checks each entry with
			// IsValidSubject), so a device may also subscribe to "any"
			// outside the group and see every such text.
			anyS.All(),
			ha.Status(),
			// micro discovery, spelled out: "$SRV.>" here would also admit
			// a subscription that sees every other service's discovery
			"$SRV.PING", "$SRV.INFO", "$SRV.STATS",
			"$SRV.PING." + wire.ServiceName, "$SRV.INFO." + wire.ServiceName, "$SRV.STATS." + wire.ServiceName,
			"$SRV.PING." + wire.ServiceName + ".*", "$SRV.INFO." + wire.ServiceName + ".*", "$SRV.STATS." + wire.ServiceName + ".*",
			// the hub asks the Pi's JetStream (domain sensehat-<id>) for
			// the source consumer, and answers its flow control (2.10+
			// and 2.9 spell that subject differently)
			"$JS." + dom + ".API.>",
			// flow control of the hub's source consumer: the subject
			// differs between the Pi's nats-server versions, and its
			// messages are empty
			"$JS.FC.>",
			// replies to what it asks its own JetStream, under an inbox of
			// its own (nats --inbox-prefix _INBOX_<id>)
			"_INBOX_{{name()}}.>",
			// and to what sensehatd asks (its desired state), whose inbox
			// prefix is _INBOX.<id> (daemon.DeviceInbox)
			"_INBOX.{{name()}}.>",
		}
		t.Sub.Allow = append(t.Sub.Allow, desiredMirror(p, "{{name()}}")...)
		t.Payload = DevicePayload
		t.Subs = DeviceSubs
		t.AllowedConnectionTypes = []string{jwt.ConnectionTypeStandard, jwt.ConnectionTypeLeafnode}
	case Admin:
		t.Pub.Allow = []string{">"}
		t.Sub.Allow = []string{">"}
		t.AllowedConnectionTypes = []string{jwt.ConnectionTypeStandard}
	case Operator:
		t.Pub.Allow = append([]string{p + ".>", "$SRV.>", ha.DeviceConfig("*")}, jsRead()...)
		// sensehat config: the desired-state bucket, made and written
		t.Pub.Allow = append(t.Pub.Allow, desiredWrite()...)
		t.Sub.Allow = []string{p + ".>", "$SRV.>", inbox, ha.Prefix, ha.Prefix + ".>"}
		// `sensehat emulate --nats` serves as a device
		t.Resp = &jwt.ResponsePermission{MaxMsgs: 1, Expires: ResponseExpiry}
		t.AllowedConnectionTypes = std
	case HomeAssistant:
		// Home Assistant logs in over MQTT with the JWT as password (MQTT
		// cannot sign the server's nonce): a bearer token, so MQTT only.
		t.BearerToken = true
		t.Pub.Allow = []string{ha.Status()}
		for _, id := range devices {
			d := wire.Subjects{Prefix: p, ID: id}
			t.Pub.Allow = append(t.Pub.Allow, d.Text(), d.Clear(), d.Config())
		}
		t.Sub.Allow = []string{
			ha.Prefix, ha.Prefix + ".>",
			p + ".*.sensors.*", p + ".*.joystick.*", p + ".*.availability",
			// the reported state: the entities' state topics
			p + ".*.state",
			// deliveries of QoS 1 and 2 subscriptions
			"$MQTT.sub.>",
		}
		t.Subs = HASubs
		t.AllowedConnectionTypes = []string{jwt.ConnectionTypeMqtt, jwt.ConnectionTypeMqttWS}
	case Web:
		t.Pub.Allow = append([]string{p + ".*.led.>", p + ".*.status", "$SRV.>"}, jsRead()...)
		// the fleet page edits the desired state, revision-checked
		t.Pub.Allow = append(t.Pub.Allow, desiredWrite()[4:]...)
		t.Sub.Allow = []string{p + ".>", "$SRV.>", inbox}
		t.AllowedConnectionTypes = std
	case Reader:
		t.Pub.Allow = jsRead()
		t.Sub.Allow = []string{p + ".*.sensors.>", p + ".*.joystick.>", p + ".*.availability", inbox}
		t.Payload = ReaderPayload
		t.AllowedConnectionTypes = std
	default:
		return t, fmt.Errorf("fleetid: no template for role %q", r)
	}
	return t, nil
}

// objectIDPart is s with anything outside [a-zA-Z0-9_-] made '_', as Home
// Assistant's object ids are (hass.Device.ObjectID).
func objectIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// desiredKV is the stream of the desired-state bucket.
const desiredKV = "KV_" + wire.DesiredBucket

// desiredDevice is what a device asks of the desired-state bucket, in the
// domain-less form (the daemon connected to the hub) and the hub's
// domain's (through its Pi's leaf): the bucket's info and a direct get of
// its own key and of the fleet's default key (a subject that names the
// key). Reads only: a direct get's reply subject is the requester's
// choice, and a body of {"no_hdr":true} has the hub publish the bare value
// there, so whatever a device could write into its key it could have the
// hub publish onto another device's led.text. Without the write, what is
// redirected is only ever what an operator wrote. No consumer of any
// kind either: its deliver subject is in the request's body, where
// permissions cannot reach. It hears of changes from the hub's republish
// instead (desiredMirror). Another device's key it cannot read.
func desiredDevice(hubDomain, id string) []string {
	var out []string
	for _, api := range []string{"$JS.API.", "$JS." + hubDomain + ".API."} {
		for _, key := range []string{id, wire.DesiredDefaultKey} {
			out = append(out, api+"DIRECT.GET."+desiredKV+".$KV."+wire.DesiredBucket+"."+key)
		}
		out = append(out, api+"STREAM.INFO."+desiredKV)
	}
	return out
}

// desiredMirror is what a device receives of the desired state beyond the
// replies to its requests: the hub's republish of its own key and of the
// default key (desired.NotifyConfig), which its Pi's leaf also needs to
// keep them in the Pi's copy. The default's subject is the hub's to
// publish on: no device may (its own is in its namespace, which reaches
// no other device).
func desiredMirror(p, id string) []string {
	s := wire.Subjects{Prefix: p, ID: id}
	return []string{s.Desired(), s.DefaultDesired()}
}

// desiredWrite is what `sensehat config` needs beyond reading: make the
// bucket and the stream that republishes its changes (first), and write
// any key, domain-less or through a domain.
func desiredWrite() []string {
	return []string{
		"$JS.API.STREAM.CREATE." + desiredKV, "$JS.*.API.STREAM.CREATE." + desiredKV,
		"$JS.API.STREAM.CREATE." + wire.DesiredNotifyStream, "$JS.*.API.STREAM.CREATE." + wire.DesiredNotifyStream,
		"$KV." + wire.DesiredBucket + ".>", "$JS.*.API.$KV." + wire.DesiredBucket + ".>",
	}
}
