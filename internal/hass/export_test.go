package hass

// Render is render for the end-to-end test in package hass_test, which
// reads templates against payloads a real daemon published.
var Render = render
