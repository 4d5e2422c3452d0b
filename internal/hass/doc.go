// Package hass publishes Home Assistant MQTT discovery for one device,
// through nats-server's own MQTT listener: a NATS subject a.b.c is the MQTT
// topic a/b/c, so Home Assistant, subscribed to homeassistant/# on the
// server's MQTT port, sees what a daemon publishes on the NATS side.
//
// # Device-based discovery
//
// The device is announced with one message on
// <prefix>/device/<object_id>/config (device-based discovery, Home
// Assistant 2024.12 and later) rather than one message per entity on
// <prefix>/<platform>/<object_id>/config. Home Assistant documents both;
// the device form is the one its MQTT page now leads with, and it fits how
// nats-server treats our messages: messages published from the NATS side
// are never retained, so discovery is re-sent on every birth message and
// every reconnect, and one message a time is cheaper and cannot leave Home
// Assistant with half a device. Removing the device is one empty message on
// the same topic (see Remove), and an entity that disappears from the
// message (the heading, before the magnetometer is calibrated) is removed
// by Home Assistant on the next one.
//
// # Availability
//
// nats-server cannot carry an MQTT last will for a NATS client, so the
// device says "online" on <prefix>/<id>/availability when discovery is
// sent, again a little later (Home Assistant subscribes to the topic only
// after it has processed the discovery message) and every
// AvailabilityPeriod, and "offline" on a clean stop. Readings carry
// expire_after, so a device that dies without a word goes unavailable on
// its own.
//
// The documentation this follows:
//   - https://www.home-assistant.io/integrations/mqtt/ (discovery topic,
//     device discovery payload, birth message)
//   - https://www.home-assistant.io/integrations/sensor.mqtt/
//   - https://www.home-assistant.io/integrations/event.mqtt/
//   - https://www.home-assistant.io/integrations/light.mqtt/ (basic schema)
//   - https://www.home-assistant.io/integrations/notify.mqtt/
//   - https://www.home-assistant.io/integrations/text.mqtt/
//   - https://www.home-assistant.io/integrations/button.mqtt/
//   - https://www.home-assistant.io/integrations/select.mqtt/
//   - https://www.home-assistant.io/integrations/switch.mqtt/
package hass
