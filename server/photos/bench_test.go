package photos

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
)

// photo12MP is a 4000×3000 JPEG (q90) of gradients and sensor-like noise,
// about as large as a 12 MP phone photo; made once per test binary.
var photo12MP = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range 3000 {
		for x := range 4000 {
			i := img.PixOffset(x, y)
			n := rng.IntN(24)
			img.Pix[i] = uint8(x*200/4000 + n)
			img.Pix[i+1] = uint8(y*200/3000 + n)
			img.Pix[i+2] = uint8((x+y)*100/7000 + 2*n)
			img.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// reportRate reports images per second; b.Loop has finished.
func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkRawPipeline12MP is the floor Process is measured against: decode,
// the same two resizes, encode, and nothing else.
func BenchmarkRawPipeline12MP(b *testing.B) {
	path, _ := writeTemp(b, photo12MP())
	b.SetBytes(int64(len(photo12MP())))
	n := 0
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		img, err := imaging.Decode(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		large := imaging.Fit(img, 1024, 1024, imaging.Box)
		thumb := imaging.Fit(large, 256, 256, imaging.Lanczos)
		for _, m := range []*image.NRGBA{large, thumb} {
			if err := imaging.Encode(&bytes.Buffer{}, m, imaging.JPEG, imaging.JPEGQuality(82)); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	reportRate(b, n)
}

// BenchmarkProcess12MP runs Process on the same photo: it adds hashing, the
// header and EXIF reads and the checks.
func BenchmarkProcess12MP(b *testing.B) {
	path, sum := writeTemp(b, photo12MP())
	b.SetBytes(int64(len(photo12MP())))
	n := 0
	for b.Loop() {
		if _, err := Process(path, sum, Limits{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}
