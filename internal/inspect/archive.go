package inspect

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// unsafePath returns why an archive member name would escape the install
// location, or "".
func unsafePath(name string) string {
	switch {
	case name == "" || name == "/":
		return "an empty name"
	case strings.ContainsRune(name, 0):
		return "a NUL byte"
	case strings.Contains(name, `\`):
		return "a backslash"
	case strings.HasPrefix(name, "/"):
		return "an absolute path"
	case len(name) >= 2 && name[1] == ':' && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z'):
		return "a drive letter"
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "a .. component"
		}
	}
	return ""
}

// cleanName is the name two members collide on: no "./", no "//", no
// trailing slash.
func cleanName(name string) string {
	parts := strings.Split(name, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// screenZipMember applies the checks every zip member gets, wheels and zip
// sdists alike: an unsafe name, a second member with the same clean name,
// a symbolic link. It counts the member, records a finding for what it
// refuses, and returns the clean name and whether to go on with the member.
func (in *inspection) screenZipMember(f *zip.File, seen map[string]bool) (clean string, ok bool) {
	in.rep.Entries++
	name := f.Name
	if why := unsafePath(name); why != "" {
		in.add(RuleUnsafePath, name, "the member name has %s", why)
		return "", false
	}
	clean = cleanName(name)
	if seen[clean] {
		in.add(RuleDuplicate, name, "the archive holds %s more than once", clean)
		return "", false
	}
	seen[clean] = true
	if isLink(f) {
		in.add(RuleLink, name, "the member is a symbolic link")
		return "", false
	}
	return clean, true
}

// zipEntryCount reads the member count from a zip's end of central
// directory record (and its zip64 twin), so that a hostile count is refused
// before archive/zip allocates a table for it. It returns -1 when the
// record cannot be found; archive/zip then reports the format error.
func zipEntryCount(r io.ReaderAt, size int64) int64 {
	const eocdLen, maxComment = 22, 65535
	n := min(size, eocdLen+maxComment)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return -1
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != 0x06054b50 {
			continue
		}
		count := int64(binary.LittleEndian.Uint16(buf[i+10:]))
		if count != 0xffff || i < 20 || binary.LittleEndian.Uint32(buf[i-20:]) != 0x07064b50 {
			return count
		}
		// zip64: the locator points at the zip64 end record.
		off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
		rec := make([]byte, 56)
		if off < 0 || off > size-56 {
			return -1
		}
		if _, err := r.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
			return -1
		}
		c := binary.LittleEndian.Uint64(rec[32:])
		if c > 1<<40 {
			return 1 << 40
		}
		return int64(c)
	}
	return -1
}

// isFormatError reports whether err means a malformed archive (a finding)
// rather than a failure to read it (an error).
func isFormatError(err error) bool {
	return errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, zip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errCorrupt)
}

var errCorrupt = errors.New("corrupt archive")

// openZip opens a zip archive and checks its directory against the limits:
// member count, declared sizes, compression ratios, overlapping members,
// encryption. It returns nil when reading must stop (a finding says why).
func (in *inspection) openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	if c := zipEntryCount(r, size); c > int64(in.lim.MaxEntries) {
		in.stop(RuleTooManyEntries, "", "the archive declares %d members, over the limit of %d", c, in.lim.MaxEntries)
		return nil, nil
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		if isFormatError(err) {
			in.stop(RuleCorrupt, "", "not a readable zip archive: %v", err)
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s: %w", in.rep.Filename, err)
	}
	if len(zr.File) > in.lim.MaxEntries {
		in.stop(RuleTooManyEntries, "", "the archive has %d members, over the limit of %d", len(zr.File), in.lim.MaxEntries)
		return nil, nil
	}
	var total uint64
	type span struct {
		start, end int64
		name       string
	}
	var spans []span
	for _, f := range zr.File {
		total += f.UncompressedSize64
		switch {
		case f.UncompressedSize64 > uint64(in.lim.MaxFileSize):
			in.stop(RuleTooLarge, f.Name, "the member is %d bytes uncompressed, over the limit of %d", f.UncompressedSize64, in.lim.MaxFileSize)
			return nil, nil
		case total > uint64(in.lim.MaxTotalSize):
			in.stop(RuleTooLarge, "", "the members add up to more than %d bytes uncompressed", in.lim.MaxTotalSize)
			return nil, nil
		case f.UncompressedSize64 >= RatioMinSize && f.UncompressedSize64 > uint64(in.lim.MaxRatio)*max(f.CompressedSize64, 1):
			in.stop(RuleCompressionRatio, f.Name, "the member expands from %d to %d bytes (ratio over %d)", f.CompressedSize64, f.UncompressedSize64, in.lim.MaxRatio)
			return nil, nil
		case f.Flags&0x1 != 0:
			in.stop(RuleCorrupt, f.Name, "the member is encrypted")
			return nil, nil
		}
		if off, err := f.DataOffset(); err == nil {
			spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
		} else if isFormatError(err) {
			in.stop(RuleCorrupt, f.Name, "unreadable member header: %v", err)
			return nil, nil
		} else {
			return nil, fmt.Errorf("reading %s: %w", in.rep.Filename, err)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return int(min(max(a.start-b.start, -1), 1)) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			in.stop(RuleOverlap, spans[i].name, "the member's data overlaps %s's", spans[i-1].name)
			return nil, nil
		}
	}
	return zr, nil
}

// isLink reports whether a zip member is a symbolic link (by its Unix mode).
func isLink(f *zip.File) bool { return f.Mode()&fs.ModeSymlink != 0 }

// readZip reads member f through h (when set), keeping the content when
// keep is set. It enforces MaxFileSize and MaxTotalSize; ok is false when
// reading must stop (a finding says why).
func (in *inspection) readZip(f *zip.File, h hash.Hash, keep bool) (content []byte, n int64, ok bool, err error) {
	rc, err := f.Open()
	if err != nil {
		if isFormatError(err) {
			in.stop(RuleCorrupt, f.Name, "cannot read the member: %v", err)
			return nil, 0, false, nil
		}
		return nil, 0, false, fmt.Errorf("reading %s: %w", in.rep.Filename, err)
	}
	defer rc.Close()
	return in.readMember(rc, f.Name, h, keep)
}

// readMember reads one member's content from r; see readZip.
func (in *inspection) readMember(r io.Reader, name string, h hash.Hash, keep bool) (content []byte, n int64, ok bool, err error) {
	limit := min(in.lim.MaxFileSize, in.lim.MaxTotalSize-in.read)
	var w io.Writer = io.Discard
	var buf *strings.Builder
	if keep {
		buf = &strings.Builder{}
		w = buf
	}
	if h != nil {
		w = io.MultiWriter(w, h)
	}
	n, err = io.Copy(w, io.LimitReader(r, limit+1))
	in.read += n
	in.rep.Size += n
	if err != nil {
		if isFormatError(err) || !errors.Is(err, errReadAt) {
			in.stop(RuleCorrupt, name, "cannot read the member: %v", err)
			return nil, n, false, nil
		}
		return nil, n, false, fmt.Errorf("reading %s: %w", in.rep.Filename, err)
	}
	if n > limit {
		in.stop(RuleTooLarge, name, "the members add up to more than the limits (%d bytes per member, %d in all)", in.lim.MaxFileSize, in.lim.MaxTotalSize)
		return nil, n, false, nil
	}
	if keep {
		content = []byte(buf.String())
	}
	return content, n, true, in.ctx.Err()
}

// errReadAt marks errors of the underlying io.ReaderAt, which are I/O
// errors, not findings.
var errReadAt = errors.New("read error")

// readerAt wraps an io.ReaderAt so that its errors can be told apart from
// decompression errors.
type readerAt struct{ r io.ReaderAt }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: an offset points before the start of the file", errCorrupt)
	}
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errReadAt, err)
	}
	return n, err
}
