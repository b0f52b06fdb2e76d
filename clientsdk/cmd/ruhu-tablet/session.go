package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ruhu-org/ruhu/clientsdk"
	"github.com/ruhu-org/ruhu/syncproto"
)

func cmdLogin(e *env) error {
	fs := e.flagSet("login")
	server := fs.String("server", "", "the ruhu server's `URL` (needed on the first login)")
	user := fs.String("user", "", "`username`")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if *user == "" || len(pos) > 0 {
		return e.usage("want --user USERNAME")
	}
	c, err := e.open(*server)
	if err != nil {
		return err
	}
	defer c.Close()
	password, err := e.password(*user, c.ServerURL())
	if err != nil {
		return err
	}
	u, err := c.Login(e.ctx, *user, password)
	if err != nil {
		return err
	}
	out := map[string]any{"user": u, "device_id": c.DeviceID(), "server": c.ServerURL()}
	return e.result(out, func(w io.Writer) {
		fmt.Fprintf(w, "logged in as %s (%s) on %s, device %s\n", u.Username, u.DisplayName, c.ServerURL(), c.DeviceID())
	})
}

// password asks for the password on a terminal, without echo; otherwise
// it reads the first line of stdin.
func (e *env) password(user, server string) (string, error) {
	if f, ok := e.io.in.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(e.io.err, "password for %s on %s: ", user, server)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.io.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if len(b) == 0 {
			return "", errors.New("no password typed")
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(e.io.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password: type it at the prompt, or give it as the first line of stdin")
	}
	return password, nil
}

func cmdLogout(e *env) error {
	if err := e.noArgs(); err != nil {
		return err
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Logout(e.ctx); err != nil {
		return err
	}
	return e.result(map[string]bool{"logged_out": true}, func(w io.Writer) { fmt.Fprintln(w, "logged out") })
}

func cmdSign(e *env) error {
	fs := e.flagSet("sign")
	role := fs.String("role", "investigator", "the capacity you sign in")
	review := fs.Bool("review", false, "sign a democratic review (the cadre or the committee head) instead of an investigation")
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return e.usage("want one INVESTIGATION_ID (or REVIEW_ID with --review)")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	what, sign := "investigation", c.Sign
	if *review {
		what, sign = "review", c.SignReview
	}
	s, err := sign(e.ctx, pos[0], clientsdk.SignOptions{Role: *role})
	if err != nil {
		return err
	}
	return e.result(s, func(w io.Writer) {
		fmt.Fprintf(w, "signed %s %s\n  content %s\n  key     %s\n", what, s.InvestigationID, s.ContentHash, s.KeyID)
		if s.Predicted {
			fmt.Fprintln(w, "  (signed the content your unsynced edits will give it; sync soon)")
		} else if s.ServerHash != "" && s.ServerHash != s.ContentHash {
			fmt.Fprintln(w, "  ! differs from the server's content at the last sync; sync and sign again if refused")
		}
	})
}

func cmdSubmit(e *env) error {
	pos, err := e.parse(e.flagSet("submit"), e.args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return e.usage("want one INVESTIGATION_ID")
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Submit(e.ctx, pos[0])
	if err != nil {
		return err
	}
	return e.result(res, func(w io.Writer) {
		fmt.Fprintf(w, "investigation %s submitted at %s (%d signers)\n", res.ID, res.SubmittedAt, len(res.Signatures.ValidSigners))
	})
}

func cmdPhoto(e *env) error {
	fs := e.flagSet("photo")
	hh := fs.String("household", "", "household `id`")
	kind := fs.String("kind", "house", "one of "+strings.Join(syncproto.PhotoKinds, ", "))
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "list":
		return listPhotos(e, *hh)
	case len(pos) != 2 || pos[0] != "add":
		return e.usage("want add FILE or list")
	case *hh == "":
		return e.usage("--household is required")
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
	return e.result(p, func(w io.Writer) {
		fmt.Fprintf(w, "photo %s (%d×%d, %d bytes) queued for household %s; run sync to upload it\n", p.SHA256, p.Width, p.Height, p.Size, p.HouseholdID)
	})
}

// photoLine is one photo as "photo list" and "list photos" show it: a
// photo queued on this tablet, or one the server holds, or both.
type photoLine struct {
	SHA256      string `json:"sha256"`
	HouseholdID string `json:"household_id"`
	Kind        string `json:"kind"`
	// Status is queued, uploaded or rejected for a photo of this tablet,
	// "on server" for one only the server's records name.
	Status   string `json:"status"`
	Size     int64  `json:"size,omitempty"`
	Uploaded int64  `json:"uploaded,omitempty"`
	Error    string `json:"error,omitempty"`
	// OnServer is true once the server's photo record reached this tablet.
	OnServer bool `json:"on_server"`
}

// listPhotos lists this tablet's queued photos and the server's photo
// records in one list, by household.
func listPhotos(e *env, household string) error {
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	queued, err := c.Photos(e.ctx)
	if err != nil {
		return err
	}
	var records []clientsdk.Record
	if household != "" {
		records, err = c.ListByHousehold(e.ctx, syncproto.CollPhotos, household)
	} else {
		records, err = c.List(e.ctx, syncproto.CollPhotos)
	}
	if err != nil {
		return err
	}
	lines := mergePhotos(queued, records, household)
	return e.result(lines, func(w io.Writer) {
		for _, p := range lines {
			progress := ""
			if p.Status == clientsdk.PhotoQueued {
				progress = fmt.Sprintf(" %d/%d bytes sent", p.Uploaded, p.Size)
			}
			fmt.Fprintf(w, "%s  %-10s %-10s household %s%s %s\n", p.SHA256[:min(12, len(p.SHA256))], p.Kind, p.Status,
				p.HouseholdID, progress, p.Error)
		}
		fmt.Fprintf(w, "%d photo(s)\n", len(lines))
	})
}

func mergePhotos(queued []clientsdk.Photo, records []clientsdk.Record, household string) []photoLine {
	lines := []photoLine{}
	at := map[string]int{}
	for _, p := range queued {
		if household != "" && p.HouseholdID != household {
			continue
		}
		at[p.SHA256] = len(lines)
		lines = append(lines, photoLine{SHA256: p.SHA256, HouseholdID: p.HouseholdID, Kind: p.Kind, Status: p.Status,
			Size: p.Size, Uploaded: p.Uploaded, Error: p.Error})
	}
	for i := range records {
		r := &records[i]
		if j, ok := at[r.ID]; ok {
			lines[j].OnServer = true
			continue
		}
		lines = append(lines, photoLine{SHA256: r.ID, HouseholdID: r.String("household_id"), Kind: r.String("kind"),
			Status: "on server", OnServer: true})
	}
	return lines
}

func cmdStatus(e *env) error {
	if err := e.noArgs(); err != nil {
		return err
	}
	c, err := e.open("")
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(e.ctx)
	if err != nil {
		return err
	}
	return e.result(st, func(w io.Writer) {
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
		if !st.OldestChange.IsZero() {
			fmt.Fprintf(w, ", oldest from %s", st.OldestChange.Local().Format(time.DateTime))
		}
		issues := ""
		if st.Issues > 0 {
			issues = " (see ruhu-tablet issues)"
		}
		fmt.Fprintf(w, "\nphotos       %d waiting\nissues       %d%s\nconflicts    %d open (at last sync)\nlast sync    %s\n",
			st.PhotosQueued, st.Issues, issues, st.OpenConflicts, last)
		if st.LastError != "" {
			fmt.Fprintf(w, "last error   %s\n", st.LastError)
		}
	})
}

// noArgs parses a command that takes only the global flags.
func (e *env) noArgs() error { return e.onlyFlags(e.flagSet(e.name)) }

// onlyFlags parses a command that takes flags but no arguments.
func (e *env) onlyFlags(fs *flag.FlagSet) error {
	pos, err := e.parse(fs, e.args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return e.usage("takes no arguments, got %q", strings.Join(pos, " "))
	}
	return nil
}
