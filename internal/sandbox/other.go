//go:build !linux

package sandbox

import (
	"context"
	"errors"
)

// Bwrap is the bubblewrap driver; it exists only on Linux.
type Bwrap struct{}

// OCI is the OCI runtime driver; it exists only on Linux.
type OCI struct{}

// Unsafe runs commands without a sandbox; it exists only on Linux.
type Unsafe struct{ TempDir string }

// NewBwrap returns [errors.ErrUnsupported] on this system.
func NewBwrap(context.Context, Options) (*Bwrap, error) { return nil, errors.ErrUnsupported }

// NewOCI returns [errors.ErrUnsupported] on this system.
func NewOCI(context.Context, Options) (*OCI, error) { return nil, errors.ErrUnsupported }

// Run returns [errors.ErrUnsupported].
func (*Bwrap) Run(context.Context, Spec) (Result, error) { return Result{}, errors.ErrUnsupported }

// Run returns [errors.ErrUnsupported].
func (*OCI) Run(context.Context, Spec) (Result, error) { return Result{}, errors.ErrUnsupported }

// Run returns [errors.ErrUnsupported].
func (*Unsafe) Run(context.Context, Spec) (Result, error) { return Result{}, errors.ErrUnsupported }

// Reap does nothing on this system.
func Reap(context.Context, string) error { return nil }
