// Package desired keeps a device's settings in step with its desired
// state: the documents under the device's id and wire.DesiredDefaultKey in
// the JetStream key-value bucket wire.DesiredBucket. An Agent reads both
// keys by direct get and hears of each change from the hub's republish
// (NotifyConfig; a device makes no consumer), applies what changed at
// once through narrow interfaces (the display, its gamma curve, the
// colour sensor), keeps a copy of what it read in the state directory for
// a start without the hub (with store and forward also in the Pi's own
// JetStream, CopyConfig), and reports what is in force as a wire.State.
//
// Precedence, lowest first: built-in defaults, the settings file and
// flags, the default key, the device's key, then a led.config or
// colour.config request, in force until a restart or the next desired
// change of the same setting. The Agent never writes the bucket (a
// device may only read it): the reported state's write_back says how to
// make a request last (`sensehat config set`). A value
// the document holds that cannot be applied is refused alone and reported;
// the previous value stays in force.
package desired
