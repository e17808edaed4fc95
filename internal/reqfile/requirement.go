package reqfile

import (
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/internal/pep508"
)

func reqError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRequirement}, args...)...)
}

// classifyLine classifies requirement text as pip's parse_req_from_line
// does (for a requirements-file line or a command-line argument), without
// looking at the file system.
func classifyLine(text string) (*Requirement, error) {
	name := text
	isURL := isPipURL(name)
	sep := ";"
	if isURL {
		sep = "; "
	}
	r := &Requirement{Text: text}
	if i := strings.Index(name, sep); i >= 0 {
		ms := pyStrip(name[i+len(sep):])
		name = name[:i]
		if ms != "" {
			m, err := pep508.ParseMarker(ms)
			if err != nil {
				return nil, reqError("invalid marker %q: %w", ms, err)
			}
			r.Marker = m
		}
	}
	name = pyStrip(name)

	var reqText string
	haveReq := false
	switch {
	case isURL:
		u, err := pyURLSplit(name)
		if err != nil {
			return nil, reqError("%q: %w", name, err)
		}
		r.URL = name
		r.Form = FormURL
		if isVCSScheme(u.scheme) {
			r.Form = FormVCS
		}
		reqText, haveReq, err = linkRequirement(r, u)
		if err != nil {
			return nil, err
		}
	default:
		p, extras := stripExtras(normAbs(name))
		archive := isArchiveFile(p)
		if looksLikePath(name) && !archive {
			// pip installs the directory if there is one, and only
			// otherwise reads the text as a requirement. Which one it is
			// depends on the file system, so the text is a path, even
			// when it is also a valid requirement ("name===1/2": "==="
			// takes any version text). "name @ URL" stays a URL: it
			// bypasses the index either way.
			if req, err := pep508.ParseRequirement(name); err != nil || req.URL == "" {
				if _, _, err := pathRequirement(r, name, extras, p); err != nil {
					return nil, err
				}
				return r, nil
			}
		}
		if archive && !atURL(name) {
			var err error
			if reqText, haveReq, err = pathRequirement(r, name, extras, p); err != nil {
				return nil, err
			}
			break
		}
		if extras != "" {
			if _, err := convertExtras(extras); err != nil {
				return nil, err
			}
		}
		r.Form = FormName
		reqText, haveReq = name, true
	}
	if !haveReq {
		return r, nil
	}
	req, err := pep508.ParseRequirement(reqText)
	if err != nil {
		return nil, reqError("%q: %w", reqText, err)
	}
	if req.URL != "" {
		if err := checkRequirementURL(req.URL); err != nil {
			return nil, reqError("%q: %w", reqText, err)
		}
		if r.Form == FormName {
			r.Form = FormURL
			r.URL = req.URL
			if u, err := pyURLSplit(req.URL); err == nil {
				if isVCSScheme(u.scheme) {
					r.Form = FormVCS
				}
				if linkIsWheel(u) {
					r.Wheel = linkFilename(u)
				}
			}
		}
	}
	if r.Marker != nil && req.Marker == nil {
		req.Marker = r.Marker
	} else if r.Marker == nil {
		r.Marker = req.Marker
	}
	r.Req = req
	r.Name = req.Name
	if len(r.Extras) == 0 {
		r.Extras = req.Extras
	}
	return r, nil
}

// atURL is pip's test in _get_url_from_path for an archive name that does
// not exist: "name @ URL" when the text before the first "@" does not look
// like a path.
func atURL(name string) bool {
	before, _, ok := strings.Cut(name, "@")
	return ok && !looksLikePath(before)
}

// pathRequirement fills in a local path requirement (p is the normalised
// path without extras) and returns the requirement pip derives from a wheel
// file name, if it names one.
func pathRequirement(r *Requirement, name, extras, p string) (string, bool, error) {
	r.Form = FormPath
	r.Path, _ = stripExtras(name)
	if extras != "" {
		ex, err := convertExtras(extras)
		if err != nil {
			return "", false, err
		}
		r.Extras = ex
	}
	if !isArchiveFile(p) {
		return "", false, nil
	}
	// pip makes a file: URL of the path; its file name is unquoted.
	file := pyUnquote(p[strings.LastIndexByte(p, '/')+1:])
	if _, ext := pySplitext(file); ext != ".whl" {
		return "", false, nil
	}
	wn, wv, ok := parseWheelName(file)
	if !ok {
		return "", false, reqError("%s is not a valid wheel filename", file)
	}
	r.Wheel = file
	return wn + "==" + wv, true, nil
}

// linkRequirement finds the requirement pip derives from a URL: name and
// version from a wheel file name, or the #egg= fragment.
func linkRequirement(r *Requirement, u splitResult) (string, bool, error) {
	if linkIsWheel(u) {
		file := linkFilename(u)
		wn, wv, ok := parseWheelName(file)
		if !ok {
			return "", false, reqError("%s is not a valid wheel filename", file)
		}
		r.Wheel = file
		return wn + "==" + wv, true, nil
	}
	egg, ok := eggFragment(r.URL)
	return egg, ok, nil
}

// convertExtras is pip's convert_extras: the extras of
// "placeholder" + lower(extras).
func convertExtras(extras string) ([]string, error) {
	req, err := pep508.ParseRequirement("placeholder" + strings.ToLower(extras))
	if err != nil {
		return nil, reqError("invalid extras %q: %w", extras, err)
	}
	return req.Extras, nil
}

// classifyEditable classifies an -e value as pip's parse_editable does,
// without looking at the file system.
func classifyEditable(text string) (*Requirement, error) {
	r := &Requirement{Text: text, Editable: true}
	u := text
	noExtras, extras := stripExtras(u)
	if strings.HasPrefix(strings.ToLower(noExtras), "file:") {
		if _, err := pyURLSplit(noExtras); err != nil {
			return nil, reqError("%q: %w", noExtras, err)
		}
		r.Form, r.URL = FormURL, noExtras
		if extras != "" {
			ex, err := convertExtras(extras)
			if err != nil {
				return nil, err
			}
			r.Extras = ex
		}
		if egg, ok := eggFragment(noExtras); ok {
			return editableName(r, egg)
		}
		return r, nil
	}
	for _, vc := range vcsNames {
		if strings.HasPrefix(strings.ToLower(u), vc+":") {
			u = vc + "+" + u
			break
		}
	}
	sr, err := pyURLSplit(u)
	if err != nil {
		return nil, reqError("%q: %w", u, err)
	}
	if !isVCSScheme(sr.scheme) {
		if isPipURL(u) {
			return nil, reqError("%s is not a valid editable requirement: it should be a path to a local project or a VCS URL", text)
		}
		// pip accepts only an existing directory here.
		r.Form, r.Path = FormPath, noExtras
		if extras != "" {
			ex, err := convertExtras(extras)
			if err != nil {
				return nil, err
			}
			r.Extras = ex
		}
		return r, nil
	}
	r.Form, r.URL = FormVCS, u
	egg, _ := eggFragment(u)
	if egg == "" {
		return nil, reqError("could not detect requirement name for %q, please specify one with #egg=your_package_name", text)
	}
	return editableName(r, egg)
}

func editableName(r *Requirement, name string) (*Requirement, error) {
	req, err := pep508.ParseRequirement(name)
	if err != nil {
		return nil, reqError("%q: %w", name, err)
	}
	r.Req, r.Name = req, req.Name
	if len(r.Extras) == 0 {
		r.Extras = req.Extras
	}
	return r, nil
}
