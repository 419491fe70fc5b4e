// Command mirador-image packs files (usually one static binary) into a single-layer OCI image
// and writes it as an OCI image-layout tar archive that `ctr images import` accepts. It needs
// no Docker engine and no registry.
//
//	mirador-image --ref docker.io/mirador/otelcol-mirador:dev --out img.tar \
//	  --file build/otelcol-mirador=/otelcol-mirador --entrypoint /otelcol-mirador --user 10001
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var spec imageSpec
	var files, dirs, cmd, env, ports multi
	flag.StringVar(&spec.Ref, "ref", "", "image reference to store in the archive, e.g. docker.io/mirador/otelcol-mirador:dev (required)")
	flag.StringVar(&spec.Out, "out", "", "output archive path (required)")
	flag.Var(&files, "file", "SRC=DST: copy host file SRC to absolute path DST in the image (repeatable)")
	flag.Var(&dirs, "dir", "DST[:MODE]: an empty directory in the image, mode in octal, default 0755 (repeatable)")
	flag.StringVar(&spec.Entrypoint, "entrypoint", "", "absolute path of the program to run")
	flag.Var(&cmd, "cmd", "default argument (repeatable, in order)")
	flag.StringVar(&spec.User, "user", "", "user (and group) to run as, e.g. 10001 or 10001:10001")
	flag.Var(&env, "env", "K=V environment variable (repeatable)")
	flag.Var(&ports, "port", "exposed port, e.g. 4317/tcp (repeatable)")
	flag.Parse()
	spec.Cmd, spec.Env, spec.Ports, spec.Arch = cmd, env, ports, runtime.GOARCH
	if err := spec.parse(files, dirs); err == nil {
		err = build(spec)
		if err == nil {
			return
		}
		fmt.Fprintln(os.Stderr, "mirador-image:", err)
	} else {
		fmt.Fprintln(os.Stderr, "mirador-image:", err)
	}
	os.Exit(1)
}
