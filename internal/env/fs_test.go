package env

import (
	"io/fs"
	"testing/fstest"
)

// mapFS makes an fs.FS of files by name.
func mapFS(files map[string]string) fs.FS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}
