package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// streetScenePNG draws the picture behind testdata/imageannotation.json: a
// 960×600 street with the car, pedestrian, debris, truck, tree, lane marking,
// lights and sign where that task's annotations put them. The browser test
// serves it as the task's attachment, and the README's screenshot shows it.
func streetScenePNG(t testing.TB) []byte {
	t.Helper()
	const w, h = 960, 600
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	// Sky, a gradient down to the horizon at y=300; grass below it.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if y < 300 {
				f := float64(y) / 300
				img.Set(x, y, color.RGBA{uint8(120 + 100*f), uint8(170 + 65*f), uint8(225 + 25*f), 255})
			} else {
				img.Set(x, y, color.RGBA{96, 140, 72, 255})
			}
		}
	}
	road := color.RGBA{86, 92, 102, 255}
	fillPolygon(img, road, [][2]float64{{380, 300}, {580, 300}, {960, 600}, {0, 600}})
	// The lane marking along the road's right half.
	strokeLine(img, color.RGBA{240, 240, 235, 255}, 5, [][2]float64{{575, 310}, {700, 430}, {840, 575}})
	// A tree: trunk and canopy.
	fillPolygon(img, color.RGBA{110, 76, 46, 255}, [][2]float64{{80, 240}, {96, 240}, {96, 300}, {80, 300}})
	fillEllipse(img, color.RGBA{52, 120, 58, 255}, 90, 188, 55, 65)
	// The sign on its pole.
	fillPolygon(img, color.RGBA{150, 150, 150, 255}, [][2]float64{{877, 180}, {883, 180}, {883, 300}, {877, 300}})
	fillEllipse(img, color.RGBA{210, 40, 40, 255}, 880, 150, 35, 35)
	fillEllipse(img, color.RGBA{250, 250, 250, 255}, 880, 150, 26, 26)
	// The truck: front face and side.
	fillPolygon(img, color.RGBA{47, 95, 168, 255}, [][2]float64{{600, 290}, {760, 290}, {760, 440}, {600, 440}})
	fillPolygon(img, color.RGBA{32, 66, 120, 255}, [][2]float64{{760, 290}, {860, 250}, {860, 395}, {760, 440}})
	fillPolygon(img, color.RGBA{170, 200, 230, 255}, [][2]float64{{615, 305}, {745, 305}, {745, 360}, {615, 360}})
	// The car: body, roof, wheels, lights.
	fillPolygon(img, color.RGBA{200, 51, 47, 255}, [][2]float64{{125, 385}, {355, 385}, {355, 470}, {125, 470}})
	fillPolygon(img, color.RGBA{160, 38, 36, 255}, [][2]float64{{170, 345}, {310, 345}, {330, 385}, {150, 385}})
	fillPolygon(img, color.RGBA{170, 205, 235, 255}, [][2]float64{{182, 354}, {298, 354}, {312, 383}, {168, 383}})
	fillEllipse(img, color.RGBA{25, 25, 25, 255}, 180, 472, 23, 23)
	fillEllipse(img, color.RGBA{25, 25, 25, 255}, 300, 472, 23, 23)
	fillEllipse(img, color.RGBA{255, 236, 140, 255}, 344, 412, 7, 6)
	fillEllipse(img, color.RGBA{255, 90, 60, 255}, 136, 405, 6, 6)
	// The pedestrian: head, body, legs.
	fillEllipse(img, color.RGBA{230, 190, 160, 255}, 470, 298, 10, 11)
	fillPolygon(img, color.RGBA{60, 160, 90, 255}, [][2]float64{{459, 310}, {481, 310}, {483, 355}, {457, 355}})
	fillPolygon(img, color.RGBA{40, 40, 70, 255}, [][2]float64{{459, 355}, {468, 355}, {468, 392}, {459, 392}})
	fillPolygon(img, color.RGBA{40, 40, 70, 255}, [][2]float64{{472, 355}, {481, 355}, {481, 392}, {472, 392}})
	// The debris: a plank lying askew on the road.
	fillPolygon(img, color.RGBA{150, 110, 60, 255}, [][2]float64{{417.75, 488.15}, {530.48, 529.30}, {522.25, 551.85}, {409.52, 510.70}})

	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fillPolygon paints the pixels whose centres lie inside the polygon.
func fillPolygon(img *image.RGBA, c color.Color, pts [][2]float64) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, minY = math.Min(minX, p[0]), math.Min(minY, p[1])
		maxX, maxY = math.Max(maxX, p[0]), math.Max(maxY, p[1])
	}
	for y := int(minY); y <= int(maxY); y++ {
		for x := int(minX); x <= int(maxX); x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			in := false
			for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
				a, b := pts[i], pts[j]
				if (a[1] > py) != (b[1] > py) && px < (b[0]-a[0])*(py-a[1])/(b[1]-a[1])+a[0] {
					in = !in
				}
			}
			if in {
				img.Set(x, y, c)
			}
		}
	}
}

func fillEllipse(img *image.RGBA, c color.Color, cx, cy, rx, ry float64) {
	for y := int(cy - ry); y <= int(cy+ry); y++ {
		for x := int(cx - rx); x <= int(cx+rx); x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			if dx*dx+dy*dy <= 1 {
				img.Set(x, y, c)
			}
		}
	}
}

// strokeLine paints a polyline as a band of the given width.
func strokeLine(img *image.RGBA, c color.Color, width float64, pts [][2]float64) {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		nx, ny := -dy/l*width/2, dx/l*width/2
		fillPolygon(img, c, [][2]float64{{a[0] + nx, a[1] + ny}, {b[0] + nx, b[1] + ny}, {b[0] - nx, b[1] - ny}, {a[0] - nx, a[1] - ny}})
	}
}
