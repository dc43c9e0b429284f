package cosocket_test

import (
	"net"
	"testing"
	"time"

	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A peer that closes right after its last answer: the answer and the FIN
// reach the loop in one batch, and setkeepalive, called while the answer
// is delivered, must not pool the connection (the next connect of the same
// turn would reuse a dead one). The loop is held while the peer writes and
// closes, so both are waiting when it reaps.
func TestSetKeepaliveSeesACloseInTheSameBatch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	type outcome struct {
		line string
		err  error
	}
	res := make(chan outcome, 1)
	var w *cosocket.Worker
	l, err := loop.Start(loop.Options{Log: func(string) {}}, func(l *loop.Loop) error {
		w = cosocket.NewWorker(l)
		return nil
	})
	require.NoError(t, err)
	defer l.Stop()

	connected := make(chan error, 1)
	require.NoError(t, l.Post(func() {
		s := w.NewTCP()
		s.ReadTimeout = 5 * time.Second
		s.OnRead = func(r cosocket.Result) {
			if r.Err != nil {
				res <- outcome{err: r.Err}
				return
			}
			res <- outcome{line: string(r.Data), err: s.SetKeepalive(time.Minute, 4)}
		}
		s.OnConnect = func(err error) {
			if err == nil {
				if r, ok := s.Receive(cosocket.Read{Mode: cosocket.ReadLine}); ok {
					res <- outcome{line: string(r.Data), err: r.Err} // not expected: nothing was sent yet
				}
			}
			connected <- err
		}
		if err, pending := s.Connect("127.0.0.1", port, false, cosocket.ConnectOptions{Backlog: -1}); err != nil || !pending {
			connected <- err
		}
	}))
	peer, err := ln.Accept()
	require.NoError(t, err)
	require.NoError(t, <-connected)

	hold, held := make(chan struct{}), make(chan struct{})
	require.NoError(t, l.Post(func() { close(held); <-hold })) // the loop waits here
	<-held
	_, err = peer.Write([]byte("last answer\r\n"))
	require.NoError(t, err)
	require.NoError(t, peer.Close()) // on loopback both are in the client's socket now
	close(hold)

	got := <-res
	assert.Equal(t, "last answer", got.line)
	assert.ErrorIs(t, got.err, cosocket.ErrClosed, "the connection was pooled although its peer had closed")
}
