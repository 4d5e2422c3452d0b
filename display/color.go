package display

import "image/color"

// FormatColor returns c as "#rrggbb", the form ParseColor reads back.
func FormatColor(c color.RGBA) string {
	const hex = "0123456789abcdef"
	return string([]byte{'#',
		hex[c.R>>4], hex[c.R&15],
		hex[c.G>>4], hex[c.G&15],
		hex[c.B>>4], hex[c.B&15]})
}
