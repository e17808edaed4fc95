package store

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files, one directory per dialect:
// migrations/<dialect>/NNNN_what.sql. Each is applied once, in order, inside
// one transaction that also records it in schema_migrations. Both dialects
// must always have the same versions: the conformance suite checks the
// schemas behave alike, and a test checks the numbering.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string // file name, for messages and the schema_migrations row
	sql     string
}

// loadMigrations returns the dialect's migrations in version order. The
// numbering must start at 1 and have no gaps or repeats.
func loadMigrations(fsys fs.FS, dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_what.sql", dialect, name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s/%s: want version %d (numbering starts at 1, without gaps or repeats)", dialect, m.name, i+1)
		}
	}
	return ms, nil
}

// pendingMigrations returns the migrations not yet in applied. It refuses a
// database that has versions this program does not know: it was migrated by a
// newer airlock, and running older code against it could lose data.
func pendingMigrations(all []migration, applied []int) ([]migration, error) {
	known := len(all)
	for _, v := range applied {
		if v > known {
			return nil, fmt.Errorf("database schema version %d is newer than this airlock knows (%d): upgrade airlock", v, known)
		}
	}
	var pending []migration
	for _, m := range all {
		if !slices.Contains(applied, m.version) {
			pending = append(pending, m)
		}
	}
	return pending, nil
}
