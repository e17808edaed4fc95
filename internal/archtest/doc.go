// Package archtest holds repository-wide meta tests: every package has a doc
// comment, the leaf packages import only the standard library, and imports
// point down the layers of DESIGN.md, never up.
package archtest
