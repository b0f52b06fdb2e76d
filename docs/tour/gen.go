//go:build ignore

// gen writes commitment.jpg, the sample photo of the README tour: a small
// grey page with lines of "text" and a red seal, as a signed commitment
// (承诺书) photographed on a tablet would look from afar.
//
//	go run docs/tour/gen.go
package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
)

func main() {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	paper, ink, seal := color.RGBA{245, 242, 232, 255}, color.RGBA{60, 60, 70, 255}, color.RGBA{200, 30, 30, 255}
	for y := 0; y < 640; y++ {
		for x := 0; x < 480; x++ {
			c := paper
			line := (y-80)%28 < 4 && y >= 80 && y < 520
			if line && x >= 48 && x < 432-(y*37)%120 {
				c = ink
			}
			if dx, dy := x-360, y-560; dx*dx+dy*dy < 40*40 && dx*dx+dy*dy > 34*34 {
				c = seal
			}
			img.Set(x, y, c)
		}
	}
	f, err := os.Create("docs/tour/commitment.jpg")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 60}); err != nil {
		panic(err)
	}
}
