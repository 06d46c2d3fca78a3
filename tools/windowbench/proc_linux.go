package main

import "syscall"

// dieWithParent makes a child killed when the harness dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
