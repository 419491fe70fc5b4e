// Command pause is the pod sandbox process: it holds the pod's namespaces and does nothing
// until it is told to stop. It stands in for registry.k8s.io/pause, which cannot be pulled
// on this machine (no registry is reachable).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			reap() // as PID 1 of a pod with a shared PID namespace it must reap orphans
			continue
		}
		return
	}
}

func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
