//go:build ignore

// gen writes commitment.jpg, the sample photo of the README tour: a small
// page with lines of "text" and a red seal, as a signed commitment (承诺书)
// photographed on a tablet looks from afar.
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
	const w, h = 240, 320
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	paper, ink, seal := color.RGBA{245, 242, 232, 255}, color.RGBA{60, 60, 70, 255}, color.RGBA{200, 30, 30, 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := paper
			if y >= 40 && y < 260 && (y-40)%14 < 2 && x >= 24 && x < 216-(y*37)%60 {
				c = ink
			}
			if d := (x-180)*(x-180) + (y-285)*(y-285); d < 20*20 && d > 17*17 {
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
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 50}); err != nil {
		panic(err)
	}
}
