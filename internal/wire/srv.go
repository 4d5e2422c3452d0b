package wire

// The discovery subjects of the micro protocol (nats.go's micro package,
// ADR-32 of nats-architecture-and-design): $SRV.<verb>.<service name>
// reaches every instance of the service, and with an instance id one of
// them. They are spelled here, where the readers of the fleet (the fleet
// page, the CLI) find them, rather than assembled at each call.

// The verbs of the micro protocol.
const (
	VerbPing  = "PING"
	VerbInfo  = "INFO"
	VerbStats = "STATS"
)

// ServiceSubject is $SRV.<verb>.sensehat: every device of every prefix
// answers it. A reader keeps the answers whose endpoints are under its
// own prefix.
func ServiceSubject(verb string) string { return "$SRV." + verb + "." + ServiceName }

// InstanceSubject is $SRV.<verb>.sensehat.<instance>: one running daemon,
// by its micro instance id (random at each start).
func InstanceSubject(verb, instance string) string {
	return ServiceSubject(verb) + "." + instance
}
