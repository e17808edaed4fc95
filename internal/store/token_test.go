package store

import (
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestSecretFormat(t *testing.T) {
	re := regexp.MustCompile(`^alk_[a-z2-7]{58}$`)
	seen := map[Secret]bool{}
	for range 100 {
		s := NewSecret()
		if !re.MatchString(s.String()) || len(s) != SecretLength {
			t.Fatalf("NewSecret() = %q, want %s", s, re)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true
		got, err := ParseSecret(s.String())
		if err != nil || got != s {
			t.Fatalf("ParseSecret(%q) = %q, %v", s, got, err)
		}
		if got.Hash() != s.Hash() || s.Hash() == (TokenHash{}) {
			t.Fatalf("Hash is not stable")
		}
	}
}

func TestParseSecretRejects(t *testing.T) {
	good := NewSecret().String()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for _, text := range []string{
		"",
		"alk_",
		good[:len(good)-1],
		good + "a",
		strings.ToUpper(good),
		"ALK_" + good[4:],
		"xyz_" + good[4:],
		" " + good[1:],
		flip(10),                 // checksum catches a changed character
		flip(len(good) - 2),      // or a changed checksum
		good[:len(good)-1] + "7", // non-canonical final character
		"alk_" + strings.Repeat("1", SecretLength-4),
	} {
		if _, err := ParseSecret(text); !errors.Is(err, ErrTokenMalformed) || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("ParseSecret(%q) error %v, want ErrTokenMalformed", text, err)
		}
	}
}

func TestSecretNotLogged(t *testing.T) {
	s := NewSecret()
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("issued", "secret", s)
	if strings.Contains(b.String(), s.String()[len(SecretPrefix):]) {
		t.Errorf("slog showed the secret: %s", b.String())
	}
}

func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Scopes
		text string
	}{
		{"check", Scopes(ScopeCheck), "check"},
		{"admin,check", Scopes(ScopeCheck | ScopeAdmin), "check,admin"},
		{" run , proxy ", Scopes(ScopeRun | ScopeProxy), "run,proxy"},
		{"check,check", Scopes(ScopeCheck), "check"},
		{"check,install,run,proxy,admin", AllScopes, "check,install,run,proxy,admin"},
	} {
		got, err := ParseScopes(tt.in)
		if err != nil || got != tt.want || got.String() != tt.text {
			t.Errorf("ParseScopes(%q) = %v (%q), %v; want %v (%q)", tt.in, got, got.String(), err, tt.want, tt.text)
		}
	}
	for _, in := range []string{"", ",", "check,", "Check", "root", "check;run"} {
		if _, err := ParseScopes(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseScopes(%q) error %v, want ErrInvalid", in, err)
		}
	}
	ss := Scopes(ScopeInstall | ScopeAdmin)
	b, err := json.Marshal(ss)
	if err != nil || string(b) != `["install","admin"]` {
		t.Errorf("json.Marshal(%v) = %s, %v", ss, b, err)
	}
	var back Scopes
	if err := json.Unmarshal(b, &back); err != nil || back != ss {
		t.Errorf("json.Unmarshal(%s) = %v, %v", b, back, err)
	}
	if err := json.Unmarshal([]byte(`["root"]`), &back); err == nil {
		t.Error(`json.Unmarshal(["root"]) accepted an unknown scope`)
	}
	if b, _ := json.Marshal(Scopes(0)); string(b) != "[]" {
		t.Errorf("json.Marshal(no scopes) = %s, want []", b)
	}
	if !ss.Has(ScopeAdmin) || ss.Has(ScopeCheck) {
		t.Errorf("Has is wrong for %v", ss)
	}
}

func TestCheckTokenName(t *testing.T) {
	for _, name := range []string{"a", "ci", "agent-7", "team.build_bot", "0day", strings.Repeat("x", MaxTokenNameLength)} {
		if err := CheckTokenName(name); err != nil {
			t.Errorf("CheckTokenName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "CI", "-x", ".x", "_x", "a b", "a/b", "ä", "a\n", strings.Repeat("x", MaxTokenNameLength+1)} {
		if err := CheckTokenName(name); !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckTokenName(%q) = %v, want ErrInvalid", name, err)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 2, 255, 1 << 40, 1<<63 - 1} {
		c := Cursor{before: id}
		got, err := ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %v, %v; want %v", c.String(), got, err, c)
		}
	}
	if c, err := ParseCursor(""); err != nil || !c.IsZero() {
		t.Errorf(`ParseCursor("") = %v, %v; want the zero cursor`, c, err)
	}
}

func TestDecisionAndAction(t *testing.T) {
	for _, d := range []string{"", "allow", "deny", "review"} {
		if got, err := ParseDecision(d); err != nil || got.String() != d {
			t.Errorf("ParseDecision(%q) = %q, %v", d, got, err)
		}
	}
	for _, d := range []string{"Allow", "maybe", " allow"} {
		if _, err := ParseDecision(d); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDecision(%q) error %v, want ErrInvalid", d, err)
		}
	}
	for _, a := range []string{"check", "token-create", "review-approve", "x9"} {
		if _, err := ParseAction(a); err != nil {
			t.Errorf("ParseAction(%q): %v", a, err)
		}
	}
	for _, a := range []string{"", "Check", "token create", "a_b", strings.Repeat("a", 65)} {
		if _, err := ParseAction(a); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAction(%q) error %v, want ErrInvalid", a, err)
		}
	}
	b, err := json.Marshal(Event{ID: 3, Actor: "ci", Action: ActionCheck, Decision: DecisionAllow})
	if err != nil || !strings.Contains(string(b), `"action":"check","decision":"allow"`) {
		t.Errorf("json.Marshal(event) = %s, %v", b, err)
	}
}

func FuzzParseSecret(f *testing.F) {
	f.Add(NewSecret().String())
	f.Add("alk_")
	f.Add("alk_" + strings.Repeat("a", 58))
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSecret(text)
		if err != nil {
			return
		}
		if s.String() != text {
			t.Fatalf("ParseSecret(%q) = %q", text, s)
		}
		if again, err := ParseSecret(s.String()); err != nil || again != s {
			t.Fatalf("round trip of %q: %q, %v", s, again, err)
		}
	})
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"check", "admin,check", " run , proxy ", "", ",", "root"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ss, err := ParseScopes(text)
		if err != nil {
			return
		}
		again, err := ParseScopes(ss.String())
		if err != nil || again != ss || ss == 0 {
			t.Fatalf("ParseScopes(%q) = %v; round trip %v, %v", text, ss, again, err)
		}
	})
}

func FuzzParseCursor(f *testing.F) {
	f.Add("")
	f.Add(Cursor{before: 42}.String())
	f.Add("AAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCursor(text)
		if err != nil {
			return
		}
		if c.String() != text {
			t.Fatalf("ParseCursor(%q).String() = %q", text, c.String())
		}
	})
}
