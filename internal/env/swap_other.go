//go:build !linux

package env

import "errors"

// swap needs renameat2(RENAME_EXCHANGE), which only Linux has.
func (st *staging) swap(*Env) error { return errors.ErrUnsupported }
