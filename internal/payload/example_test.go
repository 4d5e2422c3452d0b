package payload_test

import (
	"errors"
	"fmt"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/payload"
	"github.com/sensehat/sensehat/internal/wire"
)

func ExampleParseText() {
	t, err := payload.ParseText([]byte(`{"text":"hot!","color":"red","speed":20,"mode":"replace"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q in %v on %v, %g columns/s, %d pass, replace %v\n", t.Text, t.Fg, t.Bg, t.Speed, t.Repeat, t.Mode == display.Replace)

	_, err = payload.ParseText([]byte(`{"text":"hi","colour":"red"}`))
	var bad *wire.Error
	fmt.Println(errors.As(err, &bad), err)
	// Output:
	// "hot!" in {255 0 0 255} on {0 0 0 255}, 20 columns/s, 1 pass, replace true
	// true led.text: unknown field "colour"; accepted fields are text, color, background, speed, repeat, mode
}

func ExampleParsePixels() {
	frame := make([]byte, 192) // raw RGB888, row-major
	frame[0] = 0xff            // (0,0) red
	a, err := payload.ParsePixels(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(a.Frames), a.Frames[0].RGBAt(0, 0), a.Delays[0], a.Loops)

	_, err = payload.ParsePixels(make([]byte, 150))
	fmt.Println(err)
	// Output:
	// 1 {255 0 0 255} 0s 1
	// led.pixels: 150 bytes is no known frame; send 192 bytes RGB888, 128 bytes RGB565 LE, a JSON array of 64 colours, a PNG or a GIF
}

func ExampleParseConfig() {
	c, err := payload.ParseConfig([]byte(`{"rotation":180,"flip":"h"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*c.Rotation, *c.FlipH, *c.FlipV, c.LowLight == nil, c.Brightness == nil)

	_, err = payload.ParseConfig([]byte(`{}`))
	fmt.Println(err)
	// Output:
	// 180 true false true true
	// led.config: nothing to change; send a JSON object with one or more of rotation, low_light, flip, brightness, e.g. {"rotation":180,"low_light":true,"flip":"h","brightness":0.5}
}

func ExampleParseClear() {
	for _, p := range []string{"", "red", "[0,0,40]", "blurple"} {
		c, err := payload.ParseClear([]byte(p))
		fmt.Println(c, err)
	}
	// Output:
	// {0 0 0 255} <nil>
	// {255 0 0 255} <nil>
	// {0 0 40 255} <nil>
	// {0 0 0 0} led.clear: unknown colour "blurple"; use a name like red, #rrggbb, #rgb or [r,g,b] with 0..255; an empty payload is black
}

func ExampleParseColor() {
	for _, s := range []string{"orange", "#0af", "bleu"} {
		c, err := payload.ParseColor(s)
		if err != nil {
			fmt.Println(err, errors.Is(err, payload.ErrUnknownColor))
			continue
		}
		fmt.Println(s, c.R, c.G, c.B)
	}
	c, _ := payload.ParseColorJSON([]byte("[255, 136, 0]"))
	fmt.Println(display.FormatColor(c))
	// Output:
	// orange 255 165 0
	// #0af 0 170 255
	// unknown colour "bleu"; use a name like red, #rrggbb, #rgb or [r,g,b] with 0..255 true
	// #ff8800
}
