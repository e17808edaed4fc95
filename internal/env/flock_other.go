//go:build !linux

package env

import (
	"context"
	"errors"
)

type envLock struct{}

const lockPoll = 0

func tryLock(string) (*envLock, bool, error) { return nil, false, errors.ErrUnsupported }

func lockEnv(context.Context, *Env, func()) (*envLock, error) { return nil, errors.ErrUnsupported }

func (l *envLock) unlock() {}
