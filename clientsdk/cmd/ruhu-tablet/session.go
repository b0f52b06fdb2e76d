package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

func cmdLogin(e *env) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	server := fs.String("server", "", "the ruhu server's URL (first login)")
	user := fs.String("user", "", "username")
	if _, err := parse(fs, e.args); err != nil || *user == "" {
		return errors.New("login --server URL --user U (password: first line of stdin)")
	}
	line, err := bufio.NewReader(e.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("no password on stdin")
	}
	c, err := e.open(*server)
	if err != nil {
		return err
	}
	defer c.Close()
	u, err := c.Login(e.ctx, *user, password)
	if err != nil {
		return err
	}
	out := map[string]any{"user": u, "device_id": c.DeviceID(), "server": c.ServerURL()}
	return e.print.result(out, func(w io.Writer) {
		fmt.Fprintf(w, "logged in as %s (%s) on %s, device %s\n", u.Username, u.DisplayName, c.ServerURL(), c.DeviceID())
	})
}

func cmdLogout(e *env) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Logout(e.ctx); err != nil {
		return err
	}
	return e.print.result(map[string]bool{"logged_out": true}, func(w io.Writer) { fmt.Fprintln(w, "logged out") })
}

func cmdSign(e *env) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	role := fs.String("role", "investigator", "the capacity you sign in")
	pos, err := parse(fs, e.args)
	if err != nil || len(pos) != 1 {
		return errors.New("sign INVESTIGATION_ID [--role R]")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := c.Sign(e.ctx, pos[0], clientsdk.SignOptions{Role: *role})
	if err != nil {
		return err
	}
	return e.print.result(s, func(w io.Writer) {
		fmt.Fprintf(w, "signed investigation %s\n  content %s\n  key     %s\n", s.InvestigationID, s.ContentHash, s.KeyID)
		if s.Predicted {
			fmt.Fprintln(w, "  (signed the content your unsynced edits will give it; sync soon)")
		} else if s.ServerHash != "" && s.ServerHash != s.ContentHash {
			fmt.Fprintln(w, "  ! differs from the server's content at the last sync; sync and sign again if refused")
		}
	})
}

func cmdSubmit(e *env) error {
	if len(e.args) != 1 {
		return errors.New("submit INVESTIGATION_ID")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Submit(e.ctx, e.args[0])
	if err != nil {
		return err
	}
	return e.print.result(res, func(w io.Writer) {
		fmt.Fprintf(w, "investigation %s submitted at %s (%d signers)\n", res.ID, res.SubmittedAt, len(res.Signatures.ValidSigners))
	})
}

func cmdPhoto(e *env) error {
	if len(e.args) > 0 && e.args[0] == "list" {
		return listPhotos(e)
	}
	fs := flag.NewFlagSet("photo", flag.ContinueOnError)
	hh := fs.String("household", "", "household id")
	kind := fs.String("kind", "house", "one of "+strings.Join(syncproto.PhotoKinds, ", "))
	pos, err := parse(fs, e.args)
	if err != nil || len(pos) != 2 || pos[0] != "add" || *hh == "" {
		return errors.New("photo add FILE --household H --kind K | photo list")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := c.AddPhoto(e.ctx, *hh, *kind, pos[1])
	if err != nil {
		return err
	}
	return e.print.result(p, func(w io.Writer) {
		fmt.Fprintf(w, "photo %s (%d×%d, %d bytes) queued for household %s\n", p.SHA256, p.Width, p.Height, p.Size, p.HouseholdID)
	})
}

func listPhotos(e *env) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := c.Photos(e.ctx)
	if err != nil {
		return err
	}
	return e.print.result(list, func(w io.Writer) {
		for _, p := range list {
			fmt.Fprintf(w, "%s %-9s %-10s %d/%d bytes %s\n", p.SHA256[:12], p.Status, p.Kind, p.Uploaded, p.Size, p.Error)
		}
	})
}

func cmdStatus(e *env) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(e.ctx)
	if err != nil {
		return err
	}
	return e.print.result(st, func(w io.Writer) {
		user := "(nobody logged in)"
		if st.User != nil {
			user = st.User.Username
		}
		last := "never"
		if !st.LastSync.IsZero() {
			last = st.LastSync.Local().Format(time.DateTime)
		}
		fmt.Fprintf(w, "server       %s\ndevice       %s\nuser         %s\n", st.ServerURL, st.DeviceID, user)
		fmt.Fprintf(w, "outbox       %d change(s) waiting", st.Outbox)
		for _, name := range sortedKeys(st.OutboxByUser) {
			fmt.Fprintf(w, " [%s: %d]", name, st.OutboxByUser[name])
		}
		fmt.Fprintf(w, "\nphotos       %d waiting\nissues       %d\nconflicts    %d open (at last sync)\nlast sync    %s\n",
			st.PhotosQueued, st.Issues, st.OpenConflicts, last)
		if st.LastError != "" {
			fmt.Fprintf(w, "last error   %s\n", st.LastError)
		}
	})
}
