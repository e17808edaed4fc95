package reqfile

import (
	"errors"
	"strings"
	"testing"
)

func TestClassifyLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // form name url path wheel extras marker, or "error"
	}{
		{"requests", "name requests"},
		{"Requests[Socks] >= 2 ; python_version > '3'", "name Requests extras=Socks marker"},
		{"requests;python_version>'3'", "name requests marker"},
		{"pkg @ https://h/p.zip", "url pkg url=https://h/p.zip"},
		{"pkg @ git+https://h/r.git", "vcs pkg url=git+https://h/r.git"},
		{"pkg@https://h/p.zip ; python_version > '3'", "url pkg url=https://h/p.zip marker"},
		{"https://h/p-1.0-py3-none-any.whl", "url p url=https://h/p-1.0-py3-none-any.whl wheel=p-1.0-py3-none-any.whl"},
		{"https://h/p-1.0-py3-none-any.whl; python_version > '3'", "url p url=https://h/p-1.0-py3-none-any.whl wheel=p-1.0-py3-none-any.whl marker"},
		{"https://h/p.tar.gz#egg=named", "url named url=https://h/p.tar.gz#egg=named"},
		{"https://h/p.tar.gz", "url url=https://h/p.tar.gz"},
		{"HTTP://H/P.ZIP", "url url=HTTP://H/P.ZIP"},
		{"ftp://h/p.zip", "url url=ftp://h/p.zip"},
		{"file:///tmp/p.zip", "url url=file:///tmp/p.zip"},
		{"git+ssh://git@h/r.git#egg=r", "vcs r url=git+ssh://git@h/r.git#egg=r"},
		{"svn+svn://h/r#egg=r", "vcs r url=svn+svn://h/r#egg=r"},
		{"./dir", "path path=./dir"},
		{"../dir[a,b]", "path path=../dir extras=a,b"},
		{"/abs/dir", "path path=/abs/dir"},
		{"sub/dir/", "path path=sub/dir/"},
		{".hidden", "path path=.hidden"},
		{"p-1.0-py3-none-any.whl", "path p path=p-1.0-py3-none-any.whl wheel=p-1.0-py3-none-any.whl"},
		{"p_q-1.0_1-2-py3-none-any.whl", "path p-q path=p_q-1.0_1-2-py3-none-any.whl wheel=p_q-1.0_1-2-py3-none-any.whl"},
		{"dist/p-1.0.tar.gz", "path path=dist/p-1.0.tar.gz"},
		{"p-1.0.TAR.GZ", "path path=p-1.0.TAR.GZ"},
		{"p-1.0-py3-none-any.WHL", "path path=p-1.0-py3-none-any.WHL"},
		{"pkg @ https://h/p-1.0-py3-none-any.whl", "url pkg url=https://h/p-1.0-py3-none-any.whl wheel=p-1.0-py3-none-any.whl"},
		{"not_a_wheel.whl", "error"},
		{"https://h/bad.whl", "error"},
		{"https://[::1/p.zip", "error"},
		{"https://[1.2.3.4]/p.zip", "error"},
		{"https://[::1]/p.zip", "url url=https://[::1]/p.zip"},
		{"https://bücher.example/p.zip", "error"},
		{"https://h/p.zip#egg=", "error"},
		{"https://h/p.zip#egg=not a name", "error"},
		{"pkg @ ./rel.zip", "error"},
		{"pkg @ file:rel.zip", "error"},
		{"pkg @ file:///abs/p.zip", "url pkg url=file:///abs/p.zip"},
		{"requests; python_version >>> '3'", "error"},
		{"requests;", "name requests"},
		{"pandas==1.0 evil", "error"},
		{"reqиests", "error"},
		{"", "error"},
	} {
		r, err := classifyLine(tc.in)
		got := "error"
		if err == nil {
			got = describe(r)
		} else if !errors.Is(err, ErrRequirement) {
			t.Errorf("classifyLine(%q): %v does not wrap ErrRequirement", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("classifyLine(%q) = %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestClassifyEditable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"git+https://h/r.git#egg=r", "vcs r url=git+https://h/r.git#egg=r"},
		{"git://h/r.git#egg=r", "vcs r url=git+git://h/r.git#egg=r"},
		{"hg+https://h/r#egg=r[x]", "vcs r url=hg+https://h/r#egg=r[x] extras=x"},
		{"git+https://h/r.git", "error"},
		{"git+https://h/r.git#egg=", "error"},
		{"https://h/p.zip", "error"},
		{"file:///src/p#egg=p", "url p url=file:///src/p#egg=p"},
		{"file:///src/p", "url url=file:///src/p"},
		{"file:///src/p[dev]", "url url=file:///src/p extras=dev"},
		{".", "path path=."},
		{"./src[dev,test]", "path path=./src extras=dev,test"},
		{"src/pkg", "path path=src/pkg"},
	} {
		r, err := classifyEditable(tc.in)
		got := "error"
		if err == nil {
			got = describe(r)
			if !r.Editable {
				t.Errorf("classifyEditable(%q): not editable", tc.in)
			}
		}
		if got != tc.want {
			t.Errorf("classifyEditable(%q) = %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
}

func describe(r *Requirement) string {
	parts := []string{r.Form.String()}
	if r.Name != "" {
		parts = append(parts, r.Name)
	}
	if r.URL != "" {
		parts = append(parts, "url="+r.URL)
	}
	if r.Path != "" {
		parts = append(parts, "path="+r.Path)
	}
	if r.Wheel != "" {
		parts = append(parts, "wheel="+r.Wheel)
	}
	if len(r.Extras) > 0 {
		parts = append(parts, "extras="+strings.Join(r.Extras, ","))
	}
	if r.Marker != nil {
		parts = append(parts, "marker")
	}
	return strings.Join(parts, " ")
}

func TestRequirementHelpers(t *testing.T) {
	r, err := classifyLine("Zope.Interface>=6")
	if err != nil {
		t.Fatal(err)
	}
	if r.Direct() || r.CanonicalName() != "zope-interface" {
		t.Errorf("Direct() = %v, CanonicalName() = %q", r.Direct(), r.CanonicalName())
	}
	r, _ = classifyLine("./dir")
	if !r.Direct() || r.CanonicalName() != "" {
		t.Errorf("path: Direct() = %v, CanonicalName() = %q", r.Direct(), r.CanonicalName())
	}
	if h := (Hash{"sha256", "ab"}); h.String() != "sha256:ab" {
		t.Errorf("Hash.String() = %q", h)
	}
	o := &Option{Name: "--index-url", Value: "x", HasValue: true}
	if o.String() != "--index-url=x" || (&Option{Name: "--pre"}).String() != "--pre" {
		t.Errorf("Option.String() = %q", o)
	}
}
