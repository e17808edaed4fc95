package inspect

import (
	"archive/tar"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// sdist inspects a source distribution: limits, unsafe members, links,
// duplicates, and its Python sources when a scanner is set. lname is the
// lower-cased file name.
func (in *inspection) sdist(ra io.ReaderAt, size int64, lname string) error {
	r := readerAt{ra}
	if strings.HasSuffix(lname, ".zip") {
		return in.sdistZip(r, size)
	}
	compressed := &countingReader{r: io.NewSectionReader(r, 0, size)}
	var dec io.Reader
	switch {
	case strings.HasSuffix(lname, ".tar.gz") || strings.HasSuffix(lname, ".tgz"):
		gz, err := gzip.NewReader(compressed)
		if err != nil {
			if errors.Is(err, errReadAt) {
				return fmt.Errorf("reading %s: %w", in.rep.Filename, err)
			}
			in.stop(RuleCorrupt, "", "not a readable gzip stream: %v", err)
			return nil
		}
		gz.Multistream(true)
		dec = gz
	case strings.HasSuffix(lname, ".tar.bz2") || strings.HasSuffix(lname, ".tbz2"):
		dec = bzip2.NewReader(compressed)
	case strings.HasSuffix(lname, ".tar"):
		dec = compressed
	default:
		in.stop(RuleCorrupt, "", "the compression of %s is not supported (use .tar.gz)", in.rep.Filename)
		return nil
	}
	tr := tar.NewReader(dec)
	seen := map[string]bool{}
	for {
		if err := in.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, errReadAt) {
				return fmt.Errorf("reading %s: %w", in.rep.Filename, err)
			}
			in.stop(RuleCorrupt, "", "not a readable tar archive: %v", err)
			return nil
		}
		in.rep.Entries++
		if in.rep.Entries > in.lim.MaxEntries {
			in.stop(RuleTooManyEntries, "", "the archive has more than %d members", in.lim.MaxEntries)
			return nil
		}
		name := hdr.Name
		if why := unsafePath(name); why != "" {
			in.add(RuleUnsafePath, name, "the member name has %s", why)
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			in.add(RuleLink, name, "the member is a symbolic link to %q", hdr.Linkname)
			continue
		case tar.TypeLink:
			in.add(RuleLink, name, "the member is a hard link to %q", hdr.Linkname)
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			in.add(RuleLink, name, "the member is a device or FIFO")
			continue
		case tar.TypeDir:
			continue
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		default:
			continue // pax and GNU headers are handled by archive/tar; others carry no file
		}
		clean := cleanName(name)
		if seen[clean] {
			in.add(RuleDuplicate, name, "the archive holds %s more than once", clean)
		}
		seen[clean] = true
		if hdr.Size > in.lim.MaxFileSize {
			in.stop(RuleTooLarge, name, "the member is %d bytes, over the limit of %d", hdr.Size, in.lim.MaxFileSize)
			return nil
		}
		keep := in.opts.Sources != nil && hdr.Size <= MaxMetadataSize &&
			(strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pyw"))
		content, _, ok, err := in.readMember(tr, name, nil, keep)
		if err != nil || !ok {
			return err
		}
		if in.read >= RatioMinSize && in.read > in.lim.MaxRatio*max(compressed.n, 1) {
			in.stop(RuleCompressionRatio, name, "the archive expands from %d to over %d bytes (ratio over %d)", compressed.n, in.read, in.lim.MaxRatio)
			return nil
		}
		if keep {
			if err := in.scanSource(name, content); err != nil {
				return err
			}
		}
	}
}

// sdistZip inspects a zip source distribution.
func (in *inspection) sdistZip(r io.ReaderAt, size int64) error {
	zr, err := in.openZip(r, size)
	if zr == nil || err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range zr.File {
		if err := in.ctx.Err(); err != nil {
			return err
		}
		name := f.Name
		if _, ok := in.screenZipMember(f, seen); !ok {
			continue
		}
		if f.Mode().IsDir() || strings.HasSuffix(name, "/") {
			continue
		}
		keep := in.opts.Sources != nil && f.UncompressedSize64 <= MaxMetadataSize &&
			(strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pyw"))
		content, _, ok, err := in.readZip(f, nil, keep)
		if err != nil || !ok {
			return err
		}
		if keep {
			if err := in.scanSource(name, content); err != nil {
				return err
			}
		}
	}
	return nil
}
