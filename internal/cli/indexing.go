package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/internal/index"
	"github.com/airlock-dev/airlock/internal/index/cache"
	"github.com/airlock-dev/airlock/internal/index/simple"
)

// upstreams builds the package index's upstream clients: --upstream (else
// $AIRLOCK_UPSTREAM, else PyPI) and the --internal NAME=URL map. It
// returns nil upstreams when offline, and the upstream URL for messages.
func (a *app) upstreams(flag string, internal []string, offline bool, agent string) (*index.Upstreams, string, error) {
	if offline {
		// Name only the flags given: airlock install and pip have no
		// --internal.
		var drop []string
		if flag != "" {
			drop = append(drop, "--upstream")
		}
		if len(internal) > 0 {
			drop = append(drop, "--internal")
		}
		if len(drop) > 0 {
			return nil, "", usageErrorf("--offline contacts no upstream: drop %s", strings.Join(drop, " and "))
		}
		return nil, "", nil
	}
	upstream := flag
	if upstream == "" {
		upstream = a.getenv("AIRLOCK_UPSTREAM")
	}
	if upstream == "" {
		upstream = index.DefaultUpstream
	}
	// Files are fetched only from the upstream's host and its file hosts:
	// the well-known ones, and $AIRLOCK_FILE_HOSTS (comma-separated).
	hosts := index.DefaultFileHosts(upstream)
	for _, h := range strings.Split(a.getenv("AIRLOCK_FILE_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	def, err := index.NewClient(upstream, index.ClientOptions{UserAgent: agent, FileHosts: hosts})
	if err != nil {
		return nil, "", usageErrorf("--upstream: %v", err)
	}
	ups := &index.Upstreams{Default: def, Internal: map[string]*index.Client{}}
	for _, m := range internal {
		name, u, ok := strings.Cut(m, "=")
		if !ok || !simple.ValidName(name) {
			return nil, "", usageErrorf("--internal %q: want NAME=URL", name) // not the URL: it may hold a password
		}
		c, err := index.NewClient(u, index.ClientOptions{UserAgent: agent, FileHosts: hosts})
		if err != nil {
			return nil, "", usageErrorf("--internal %s: %v", name, err) // err shows the URL without its password
		}
		ups.Internal[simple.Normalize(name)] = c
	}
	return ups, upstream, nil
}

// openCache opens the artifact cache: dir, else <data dir>/cache/index.
func (a *app) openCache(dir string, opts cache.Options) (*cache.Store, string, error) {
	if dir == "" {
		data, err := a.dataDir()
		if err != nil {
			return nil, "", withCode(ExitFailed, err)
		}
		dir = filepath.Join(data, "cache", "index")
	}
	store, err := cache.Open(dir, opts)
	if err != nil {
		return nil, "", withCode(ExitFailed, fmt.Errorf("artifact cache: %w", err))
	}
	return store, dir, nil
}
