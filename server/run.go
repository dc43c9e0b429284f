package server

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/linux"
)

// RunOptions configure Run.
type RunOptions struct {
	Prefix   string    // -p as given ("" = current directory)
	ConfPath string    // -c as given ("" = built-in configuration)
	Stderr   io.Writer // where failures go before the error log is open
}

// Run serves cfg until a signal ends it, as the luring process: it writes
// the pid file, starts the workers, and handles TERM and INT (fast stop),
// QUIT (graceful stop), HUP (reload the configuration: new workers take new
// connections, old ones drain) and USR1 (reopen the error log).
func Run(cfg *conf.Config, o RunOptions) error {
	if _, _, err := linux.RaiseNoFile(); err != nil {
		fmt.Fprintf(o.Stderr, "luring: [warn] raising RLIMIT_NOFILE: %v\n", err)
	}
	elog, err := httpd.OpenErrorLog(cfg.Main.ErrorLogs)
	if err != nil {
		return err
	}
	defer func() { elog.Close() }()

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	inst, err := Start(cfg, elog, Options{})
	if err != nil {
		return err
	}
	pid := cfg.Main.PID
	if err := writePid(pid); err != nil {
		inst.Stop()
		<-inst.Done()
		return fmt.Errorf("open() %q failed (%w)", pid, err)
	}
	defer removePid(pid)
	elog.Logf(conf.LogNotice, 0, 0, "luring/%s started: %d worker(s) on %s", Version, len(inst.workers), inst.Backend())

	for {
		select {
		case <-inst.Done():
			return nil
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT:
				elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, exiting", sig, sig)
				inst.Stop()
				<-inst.Done()
				return nil
			case syscall.SIGQUIT:
				elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, shutting down gracefully", sig, sig)
				inst.Quit()
				<-inst.Done()
				return nil
			case syscall.SIGUSR1:
				if nl, err := httpd.OpenErrorLog(inst.cfg.Main.ErrorLogs); err == nil {
					old := elog
					elog = nl
					old.Close()
				}
			case syscall.SIGHUP:
				next, nextLog, err := reload(o, elog)
				if err != nil {
					elog.Logf(conf.LogError, 0, 0, "reload failed, keeping the old configuration: %v", err)
					continue
				}
				old := inst
				inst = next
				go func() {
					old.Quit()
					<-old.Done()
				}()
				_ = nextLog
				elog.Logf(conf.LogNotice, 0, 0, "signal %d (%s) received, reconfiguring", sig, sig)
			}
		}
	}
}

// reload loads and checks the configuration again and starts its workers.
func reload(o RunOptions, elog *httpd.ErrorLog) (*Instance, *httpd.ErrorLog, error) {
	cfg, err := LoadConfig(o.Prefix, o.ConfPath)
	if err != nil {
		return nil, nil, err
	}
	if err := TestConfig(cfg); err != nil {
		return nil, nil, err
	}
	inst, err := Start(cfg, elog, Options{})
	if err != nil {
		return nil, nil, err
	}
	return inst, elog, nil
}
