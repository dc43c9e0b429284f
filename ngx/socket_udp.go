package ngx

import lua "github.com/yuin/gopher-lua"

// socketUDP is ngx.socket.udp(); the datagram socket comes with the
// loop's PacketConn.
func (rn *Runner) socketUDP(L *lua.LState) int {
	L.RaiseError("ngx.socket.udp is not supported yet")
	return 0
}

func (rn *Runner) newUDPMeta(L *lua.LState) *lua.LTable { return L.NewTable() }
