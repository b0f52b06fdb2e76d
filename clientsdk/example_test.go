package clientsdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Edits need a logged-in user, and the tablet checks them against the
// record schema before anything is queued.
func ExampleClient_Create() {
	dir, _ := os.MkdirTemp("", "tablet")
	defer os.RemoveAll(dir)
	c, err := clientsdk.Open(dir, "https://ruhu.example.gov.cn")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Nobody has logged in on this tablet yet.
	_, err = c.Create(ctx, syncproto.CollHouseholds, clientsdk.Fields{"unit_id": "t1-v1", "head_name": "张建国",
		"head_id_number": "11010519491231002X", "address": "石桥镇石桥村三组17号"})
	fmt.Println(errors.Is(err, clientsdk.ErrNotLoggedIn))

	// The schema is checked on the tablet, before anything is queued.
	err = c.Update(ctx, syncproto.CollHouseholds, "01HV7Q0YB4N9Y3K8C2M5T6RD1A", clientsdk.Fields{"colour": "red"})
	fmt.Println(errors.Is(err, clientsdk.ErrInvalidRecord))

	st, _ := c.Status(ctx)
	fmt.Println(st.Outbox, len(st.DeviceID))
	// Output:
	// true
	// true
	// 0 20
}

// Sync after a day in the villages. Needs a running server, so it has no
// expected output.
func ExampleClient_Sync() {
	ctx := context.Background()
	c, err := clientsdk.Open("/data/ruhu-tablet", "http://127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rep, err := c.Sync(ctx)
	var relogin *clientsdk.ReloginError
	switch {
	case errors.As(err, &relogin):
		fmt.Println("please log in again as", relogin.Username, "- your", "work is kept")
		return
	case errors.Is(err, clientsdk.ErrUnreachable):
		fmt.Println("no network; try later")
		return
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("pushed %d, pulled %d\n", rep.Pushed, rep.Pulled)
	for _, is := range rep.Conflicts {
		fmt.Println("conflict on", is.Collection, is.RecordID, is.ConflictIDs)
	}
	for _, is := range rep.Rejected {
		fmt.Println("rejected", is.Collection, is.RecordID, is.Code, is.Message)
	}
}

// Two investigators sign the same form on one tablet, then submit it.
// Needs a running server, so it has no expected output.
func ExampleClient_Sign() {
	ctx := context.Background()
	c, err := clientsdk.Open("/data/ruhu-tablet", "")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	const investigation = "01HV7Q2A5F8G3H6J9K2M4N7P0Q"
	for _, who := range []struct{ user, password string }{{"worker1", "…"}, {"worker2", "…"}} {
		if _, err := c.Login(ctx, who.user, who.password); err != nil {
			log.Fatal(err)
		}
		sig, err := c.Sign(ctx, investigation, clientsdk.SignOptions{Role: "investigator"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(who.user, "signed", sig.ContentHash)
	}
	if _, err := c.Sync(ctx); err != nil {
		log.Fatal(err)
	}
	res, err := c.Submit(ctx, investigation)
	if clientsdk.ErrorCode(err) == syncproto.CodeDualSignatureRequired {
		fmt.Println("two investigators must sign the current content")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("submitted at", res.SubmittedAt)
}

// A photo is turned upright, scaled to fit 1600 px and re-encoded as JPEG
// before upload.
func ExamplePreparePhoto() {
	var src bytes.Buffer
	_ = png.Encode(&src, image.NewGray(image.Rect(0, 0, 2000, 1500)))
	p, err := clientsdk.PreparePhoto(&src, clientsdk.PhotoOptions{MaxEdge: 1600, Quality: 80})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Width, p.Height, len(p.SHA256))
	// Output: 1600 1200 64
}
