package app

import (
	"context"
	"fmt"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/server/sqlite"
	"github.com/ruhu-org/ruhu/syncproto"
)

// Initialise creates the database, the county root and the first admin. It
// refuses a directory that is already initialised.
func Initialise(ctx context.Context, dir, countyID, countyName, admin, password string, h auth.Argon2) error {
	return InitialiseStore(ctx, Config{DataDir: dir}, countyID, countyName, admin, password, h)
}

// Initialized reports whether the configured database holds a county.
func Initialized(ctx context.Context, cfg Config) (bool, error) {
	if cfg.DatabaseURL == "" {
		return sqlite.Initialized(ctx, cfg.DataDir)
	}
	db, _, err := openStore(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer db.Close()
	counties, err := db.Counties(ctx)
	return len(counties) > 0, err
}

// InitialiseStore creates the county root and the first admin in the
// configured database. It refuses a database that already holds a county.
func InitialiseStore(ctx context.Context, cfg Config, countyID, countyName, admin, password string, h auth.Argon2) error {
	ok, err := Initialized(ctx, cfg)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%s is already initialised; refusing to touch it", where(cfg))
	}
	db, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	eng := engine.New(db)
	hash, err := h.Hash(password)
	if err != nil {
		return err
	}
	_, err = eng.InitCounty(ctx, countyID, countyName, syncproto.CreateUserRequest{Username: admin, Password: password,
		DisplayName: admin, Roles: []string{syncproto.RoleAdmin}}, hash)
	return err
}

// where names the configured database for messages (never a password).
func where(cfg Config) string {
	if cfg.DatabaseURL == "" {
		return cfg.DataDir
	}
	return "the PostgreSQL database"
}

// DemoPassword is the password of every demo login.
const DemoPassword = "ruhu-demo-2026"

// DemoUser is a login of the demo county.
type DemoUser struct {
	Username, Name, Unit string
	Roles                []string
	IDPrefix             string // 17 digits; the check digit is computed
}

// DemoUsers are the demo county's logins.
var DemoUsers = []DemoUser{
	{"admin", "系统管理员", "demo-county", []string{syncproto.RoleAdmin}, ""},
	{"county", "县民政局 审批员", "demo-county", []string{syncproto.RoleCountyApprover}, "53012119800101001"},
	{"inspector", "督察组 检查员", "demo-county", []string{syncproto.RoleInspector}, "53012119810202002"},
	{"reviewer1", "乡镇民政办 审核员", "t1", []string{syncproto.RoleTownshipReviewer}, "53012119820303003"},
	{"reviewer2", "街道社会事务处 审核员", "t2", []string{syncproto.RoleTownshipReviewer}, "53012119830404004"},
	{"worker1", "村干部 张伟", "t1-v1", []string{syncproto.RoleVillageWorker}, "53012119840505005"},
	{"worker2", "包片干部 李娜", "t1-v1", []string{syncproto.RoleVillageWorker}, "53012119850606006"},
	{"worker3", "调查员 王芳", "t2-v1", []string{syncproto.RoleVillageWorker}, "53012119860707007"},
	{"committee1", "民主评议委员会 负责人", "t1-v1", []string{syncproto.RoleVillageCommittee}, "53012119870808008"},
}

// SeedDemo creates the demo county: 2 townships × 3 villages and a user of
// every role.
func SeedDemo(ctx context.Context, dir string, h auth.Argon2) error {
	return SeedDemoStore(ctx, Config{DataDir: dir}, h)
}

// SeedDemoStore creates the demo county in the configured database.
func SeedDemoStore(ctx context.Context, cfg Config, h auth.Argon2) error {
	if err := InitialiseStore(ctx, cfg, "demo-county", "示范县", "admin", DemoPassword, h); err != nil {
		return err
	}
	db, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	eng := engine.New(db)
	admin, err := eng.UserByUsername(ctx, "admin")
	if err != nil {
		return err
	}
	a := &server.Actor{UserID: admin.ID, Username: "admin", UnitID: admin.UnitID, UnitPath: admin.UnitPath,
		DeviceID: "demo-seed", Roles: admin.Roles}
	towns := []struct{ id, name string }{{"t1", "城关镇"}, {"t2", "河西乡"}}
	villages := []string{"东村", "西村", "南村"}
	for _, t := range towns {
		if _, err := eng.CreateUnit(ctx, a, syncproto.Unit{ID: t.id, ParentID: "demo-county", Name: t.name, Level: syncproto.LevelTownship}); err != nil {
			return err
		}
		for i, v := range villages {
			id := fmt.Sprintf("%s-v%d", t.id, i+1)
			if _, err := eng.CreateUnit(ctx, a, syncproto.Unit{ID: id, ParentID: t.id, Name: t.name + v, Level: syncproto.LevelVillage}); err != nil {
				return err
			}
		}
	}
	hash, err := h.Hash(DemoPassword)
	if err != nil {
		return err
	}
	for _, u := range DemoUsers[1:] {
		id := syncproto.CompleteIDNumber(u.IDPrefix)
		if _, err := eng.CreateUser(ctx, a, syncproto.CreateUserRequest{Username: u.Username, Password: DemoPassword,
			DisplayName: u.Name, Roles: u.Roles, UnitID: u.Unit, IDNumber: id}, hash); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Username, err)
		}
	}
	return nil
}
