package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/bits"
	"strings"
	"sync"
	"time"
)

// Scope is one permission a token can carry. The server decides which routes
// need which scope; scopes are independent (admin does not imply the others).
type Scope uint8

// The scopes, in their canonical order.
const (
	ScopeCheck   Scope = 1 << iota // POST /v1/check
	ScopeInstall                   // create environments and install into them
	ScopeRun                       // run code in environments
	ScopeProxy                     // the /simple/ package index
	ScopeAdmin                     // audit log, reviews, tokens
)

var scopeNames = []struct {
	s    Scope
	name string
}{
	{ScopeCheck, "check"},
	{ScopeInstall, "install"},
	{ScopeRun, "run"},
	{ScopeProxy, "proxy"},
	{ScopeAdmin, "admin"},
}

// AllScopes holds every scope.
const AllScopes = Scopes(ScopeCheck | ScopeInstall | ScopeRun | ScopeProxy | ScopeAdmin)

// String returns the scope's name ("check"), or "scope(N)" for an unknown one.
func (s Scope) String() string {
	for _, n := range scopeNames {
		if n.s == s {
			return n.name
		}
	}
	return fmt.Sprintf("scope(%d)", uint8(s))
}

// ParseScope returns the scope with the given name.
func ParseScope(name string) (Scope, error) {
	for _, n := range scopeNames {
		if n.name == name {
			return n.s, nil
		}
	}
	return 0, invalid("scope", name, "want one of "+scopeList())
}

func scopeList() string {
	names := make([]string, len(scopeNames))
	for i, n := range scopeNames {
		names[i] = n.name
	}
	return strings.Join(names, ", ")
}

// MarshalText implements [encoding.TextMarshaler].
func (s Scope) MarshalText() ([]byte, error) {
	if bits.OnesCount8(uint8(s)) != 1 || Scopes(s)&^AllScopes != 0 {
		return nil, fmt.Errorf("marshal %v: not a scope", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Scope) UnmarshalText(b []byte) error {
	v, err := ParseScope(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Scopes is a set of scopes. Its text form is the comma-separated names in
// canonical order ("check,install"); in JSON it is an array of names.
type Scopes uint8

// Has reports whether the set contains s.
func (ss Scopes) Has(s Scope) bool { return ss&Scopes(s) != 0 }

// List returns the scopes in canonical order.
func (ss Scopes) List() []Scope {
	var out []Scope
	for _, n := range scopeNames {
		if ss.Has(n.s) {
			out = append(out, n.s)
		}
	}
	return out
}

// String returns the canonical text form, "" for the empty set.
func (ss Scopes) String() string {
	var b strings.Builder
	for _, s := range ss.List() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// ParseScopes parses a comma-separated list of scope names. It is strict:
// every name must be known and the list must not be empty; spaces around
// names and repeated names are accepted.
func ParseScopes(text string) (Scopes, error) {
	var ss Scopes
	for name := range strings.SplitSeq(text, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return 0, invalid("scopes", text, "empty scope name; want a comma-separated list of "+scopeList())
		}
		s, err := ParseScope(name)
		if err != nil {
			return 0, err
		}
		ss |= Scopes(s)
	}
	return ss, nil
}

// MarshalText implements [encoding.TextMarshaler].
func (ss Scopes) MarshalText() ([]byte, error) {
	if ss&^AllScopes != 0 {
		return nil, fmt.Errorf("marshal scopes: unknown bits %#x", uint8(ss&^AllScopes))
	}
	return []byte(ss.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (ss *Scopes) UnmarshalText(b []byte) error {
	v, err := ParseScopes(string(b))
	if err != nil {
		return err
	}
	*ss = v
	return nil
}

// MarshalJSON writes the set as an array of names.
func (ss Scopes) MarshalJSON() ([]byte, error) {
	list := ss.List()
	if list == nil {
		list = []Scope{}
	}
	return json.Marshal(list)
}

// UnmarshalJSON reads an array of names.
func (ss *Scopes) UnmarshalJSON(b []byte) error {
	var list []Scope
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	var v Scopes
	for _, s := range list {
		v |= Scopes(s)
	}
	*ss = v
	return nil
}

// Token is an API token as stored: everything but its secret.
type Token struct {
	Name     string    `json:"name"`
	Scopes   Scopes    `json:"scopes"`
	Hash     TokenHash `json:"-"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`   // zero: never
	Revoked  time.Time `json:"revoked,omitzero"`   // zero: not revoked
	LastUsed time.Time `json:"last_used,omitzero"` // zero: never used (or not recorded yet)
}

// Expired reports whether t has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.Expires.IsZero() && !now.Before(t.Expires) }

// IsRevoked reports whether t was revoked.
func (t Token) IsRevoked() bool { return !t.Revoked.IsZero() }

// checkNew validates a token about to be stored and fills in defaults.
func (t Token) checkNew() (Token, error) {
	if err := CheckTokenName(t.Name); err != nil {
		return t, err
	}
	if t.Scopes == 0 || t.Scopes&^AllScopes != 0 {
		return t, invalid("scopes", t.Scopes.String(), "want at least one of "+scopeList())
	}
	if t.Hash == (TokenHash{}) {
		return t, invalid("token hash", "", "not set")
	}
	t.Created = nowOr(t.Created)
	if !t.Expires.IsZero() {
		t.Expires = micros(t.Expires)
		if !t.Expires.After(t.Created) {
			return t, invalid("token expiry", t.Expires.Format(time.RFC3339), "not after its creation")
		}
	}
	t.Revoked, t.LastUsed = time.Time{}, time.Time{}
	return t, nil
}

// MaxTokenNameLength bounds token names, in bytes.
const MaxTokenNameLength = 64

// CheckTokenName returns an [*InvalidError] unless name is a valid token
// name: 1 to [MaxTokenNameLength] lower-case ASCII letters, digits, '.', '_'
// or '-', starting with a letter or digit. Names are shown in the audit log
// as actors, so they are kept plain.
func CheckTokenName(name string) error {
	const rule = "use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
	if name == "" || len(name) > MaxTokenNameLength {
		return invalid("token name", name, rule)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return invalid("token name", name, rule)
		}
	}
	return nil
}

// TokenHash is the SHA-256 of a token's secret text. Its text form is
// lower-case hex.
type TokenHash [sha256.Size]byte

// String returns the hash in hex.
func (h TokenHash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements [encoding.TextMarshaler].
func (h TokenHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (h *TokenHash) UnmarshalText(b []byte) error {
	if len(b) != 2*sha256.Size {
		return invalid("token hash", string(b), "want 64 hex digits")
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return invalid("token hash", string(b), "want 64 hex digits")
	}
	return nil
}

// Secret formats. A secret is [SecretPrefix] followed by the base32 (RFC
// 4648 alphabet, lower case, no padding) of 32 random bytes and the CRC-32
// (IEEE) of those bytes, big-endian. The checksum lets [ParseSecret] and
// secret scanners tell a real token from a look-alike without a lookup; the
// 256 random bits are what make it unguessable.
const (
	SecretPrefix  = "alk_"
	secretEntropy = 32
	// SecretLength is the length of a secret's text.
	SecretLength = len(SecretPrefix) + (8*(secretEntropy+4)+4)/5
)

var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Secret is a token's secret text, the bearer credential. Only its hash is
// stored. It prints in full with %s and String (the CLI must show it once),
// but a [log/slog] logger shows only its prefix.
type Secret string

// NewSecret returns a fresh random secret.
func NewSecret() Secret {
	var raw [secretEntropy + 4]byte
	rand.Read(raw[:secretEntropy]) // never returns an error; it crashes the program if the kernel fails
	binary.BigEndian.PutUint32(raw[secretEntropy:], crc32.ChecksumIEEE(raw[:secretEntropy]))
	return Secret(SecretPrefix + secretEncoding.EncodeToString(raw[:]))
}

// ParseSecret checks that text has the form of a secret made by [NewSecret],
// including its checksum. It accepts only that canonical form: no spaces, no
// upper case.
func ParseSecret(text string) (Secret, error) {
	rest, ok := strings.CutPrefix(text, SecretPrefix)
	if !ok || len(text) != SecretLength {
		return "", ErrTokenMalformed
	}
	raw, err := secretEncoding.DecodeString(rest)
	if err != nil || len(raw) != secretEntropy+4 || secretEncoding.EncodeToString(raw) != rest {
		return "", ErrTokenMalformed
	}
	if binary.BigEndian.Uint32(raw[secretEntropy:]) != crc32.ChecksumIEEE(raw[:secretEntropy]) {
		return "", ErrTokenMalformed
	}
	return Secret(text), nil
}

// String returns the secret's text.
func (s Secret) String() string { return string(s) }

// LogValue keeps secrets out of logs: it shows the prefix only.
func (s Secret) LogValue() slog.Value { return slog.StringValue(SecretPrefix + "…") }

// Hash returns the SHA-256 of the secret's text, the value the store keeps.
func (s Secret) Hash() TokenHash { return sha256.Sum256([]byte(s)) }

// Authentication failures. All of them match [ErrUnauthenticated], which is
// what the server answers 401 for; anything else from [Authenticate] is a
// store failure (fail closed).
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrTokenMalformed  = fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	ErrTokenUnknown    = fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	ErrTokenRevoked    = fmt.Errorf("%w: token revoked", ErrUnauthenticated)
	ErrTokenExpired    = fmt.Errorf("%w: token expired", ErrUnauthenticated)
)

// Authenticate returns the token whose secret is text, if it is valid at
// now. The lookup is by the secret's SHA-256 through an index; the database's
// comparison is not constant-time, but it compares hashes of 256-bit random
// secrets, which tells an attacker nothing they could use, and the hash found
// is compared again in constant time. With [ErrTokenRevoked] and
// [ErrTokenExpired] it also returns the token, so that the caller can log
// whose it was. It does not record the use: call [TokenStore.TouchToken] for
// that (off the request path).
func Authenticate(ctx context.Context, s TokenStore, text string, now time.Time) (Token, error) {
	secret, err := ParseSecret(text)
	if err != nil {
		return Token{}, err
	}
	h := secret.Hash()
	t, err := s.TokenByHash(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrTokenUnknown
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare(t.Hash[:], h[:]) != 1 {
		return Token{}, ErrTokenUnknown
	}
	if t.IsRevoked() {
		return t, fmt.Errorf("%w (%s)", ErrTokenRevoked, t.Name)
	}
	if t.Expired(now) {
		return t, fmt.Errorf("%w (%s)", ErrTokenExpired, t.Name)
	}
	return t, nil
}

// IssueToken makes a new secret for t, stores t with its hash and returns
// the stored token and the secret, which exists nowhere else: show it once.
func IssueToken(ctx context.Context, s TokenStore, t Token) (Token, Secret, error) {
	secret := NewSecret()
	t.Hash = secret.Hash()
	t, err := t.checkNew()
	if err != nil {
		return Token{}, "", err
	}
	if err := s.CreateToken(ctx, t); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// AdminTokenName is the name of the token [EnsureAdminToken] creates.
const AdminTokenName = "admin"

// EnsureAdminToken is for the server's first start: if the store holds no
// token, it creates one named [AdminTokenName] with every scope and no expiry,
// and returns it with its secret. If any token exists (in whatever state), it
// returns a zero Token and an empty Secret. Several servers starting at once
// create one token between them.
func EnsureAdminToken(ctx context.Context, s TokenStore, now time.Time) (Token, Secret, error) {
	secret := NewSecret()
	t, err := Token{Name: AdminTokenName, Scopes: AllScopes, Hash: secret.Hash(), Created: now}.checkNew()
	if err != nil {
		return Token{}, "", err
	}
	created, err := s.CreateFirstToken(ctx, t)
	if err != nil || !created {
		return Token{}, "", err
	}
	return t, secret, nil
}

// LastUsedResolution is how stale a token's last-used time may be: recording
// every use would make every request a write.
const LastUsedResolution = time.Minute

// touchThrottle remembers the last-used times a store has written, so that
// TouchToken skips the database when the stored time is recent enough.
type touchThrottle struct {
	mu      sync.Mutex
	written map[string]time.Time
}

// due reports whether a use at at should be written for name.
func (tt *touchThrottle) due(name string, at time.Time) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	last, ok := tt.written[name]
	return !ok || at.Sub(last) >= LastUsedResolution
}

// done records that at was written for name.
func (tt *touchThrottle) done(name string, at time.Time) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.written == nil {
		tt.written = make(map[string]time.Time)
	}
	if at.After(tt.written[name]) {
		tt.written[name] = at
	}
}

var (
	_ encoding.TextMarshaler   = Scope(0)
	_ encoding.TextUnmarshaler = (*Scope)(nil)
	_ encoding.TextMarshaler   = Scopes(0)
	_ encoding.TextUnmarshaler = (*Scopes)(nil)
	_ json.Marshaler           = Scopes(0)
	_ json.Unmarshaler         = (*Scopes)(nil)
	_ encoding.TextMarshaler   = TokenHash{}
	_ encoding.TextUnmarshaler = (*TokenHash)(nil)
	_ slog.LogValuer           = Secret("")
)
