//go:build !linux

package env

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
