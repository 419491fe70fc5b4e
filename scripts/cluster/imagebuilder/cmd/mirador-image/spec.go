package main

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// imageSpec is what the command line asks for, checked before anything is written.
type imageSpec struct {
	Ref, Out, Entrypoint, User, Arch string
	Cmd, Env, Ports                  []string
	Files                            []fileEntry
	Dirs                             []dirEntry
}

type fileEntry struct{ Src, Dst string }

type dirEntry struct {
	Dst  string
	Mode int64
}

func (s *imageSpec) parse(files, dirs []string) error {
	if s.Ref == "" {
		return fmt.Errorf("--ref is required")
	}
	if s.Out == "" {
		return fmt.Errorf("--out is required")
	}
	if len(files) == 0 {
		return fmt.Errorf("at least one --file SRC=DST is required")
	}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, "=")
		if !ok || src == "" || !path.IsAbs(dst) {
			return fmt.Errorf("--file %q: want SRC=DST with an absolute DST", f)
		}
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("--file %q: %w", f, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("--file %q: %s is not a regular file", f, src)
		}
		s.Files = append(s.Files, fileEntry{src, path.Clean(dst)})
	}
	for _, d := range dirs {
		dst, modeText, hasMode := strings.Cut(d, ":")
		mode := int64(0o755)
		if hasMode {
			m, err := strconv.ParseInt(modeText, 8, 32)
			if err != nil {
				return fmt.Errorf("--dir %q: mode %q is not octal", d, modeText)
			}
			mode = m
		}
		if !path.IsAbs(dst) {
			return fmt.Errorf("--dir %q: the path must be absolute", d)
		}
		s.Dirs = append(s.Dirs, dirEntry{path.Clean(dst), mode})
	}
	for _, e := range s.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("--env %q: want K=V", e)
		}
	}
	if s.Entrypoint != "" && !path.IsAbs(s.Entrypoint) {
		return fmt.Errorf("--entrypoint %q: the path must be absolute", s.Entrypoint)
	}
	return nil
}
