package httpd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatusLines(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{200, "HTTP/1.1 200 OK\r\n"},
		{302, "HTTP/1.1 302 Moved Temporarily\r\n"},
		{404, "HTTP/1.1 404 Not Found\r\n"},
		{405, "HTTP/1.1 405 Not Allowed\r\n"},
		{408, "HTTP/1.1 408 Request Time-out\r\n"},
		{413, "HTTP/1.1 413 Request Entity Too Large\r\n"},
		{414, "HTTP/1.1 414 Request-URI Too Large\r\n"},
		{503, "HTTP/1.1 503 Service Temporarily Unavailable\r\n"},
		{504, "HTTP/1.1 504 Gateway Time-out\r\n"},
		{203, "HTTP/1.1 203 \r\n"},
		{418, "HTTP/1.1 418 \r\n"},
		{799, "HTTP/1.1 799 \r\n"},
		{7, "HTTP/1.1 007 \r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			require.Equal(t, tc.want, string(AppendStatusLine(nil, tc.code)))
		})
	}
	require.Equal(t, "Request-URI Too Large", StatusText(414))
	require.Equal(t, "", StatusText(494))
	require.Equal(t, 400, ResponseStatus(494))
	require.Equal(t, 400, ResponseStatus(497))
	require.Equal(t, 404, ResponseStatus(404))

	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() { dst = AppendStatusLine(dst[:0], 404) })
	require.Zero(t, allocs)
}

func TestErrorPages(t *testing.T) {
	tests := []struct {
		code  int
		token string
		want  string
	}{
		{404, "nginx", "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n" +
			"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
		{404, "luring", "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n" +
			"<center><h1>404 Not Found</h1></center>\r\n<hr><center>luring</center>\r\n</body>\r\n</html>\r\n"},
		{302, "nginx", "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n" +
			"<center><h1>302 Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
		{401, "nginx/1.27.0", "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n" +
			"<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx/1.27.0</center>\r\n</body>\r\n</html>\r\n"},
		{494, "nginx", "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n" +
			"<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n" +
			"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
		{498, "nginx", "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n" +
			"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
		{501, "nginx", "<html>\r\n<head><title>501 Not Implemented</title></head>\r\n<body>\r\n" +
			"<center><h1>501 Not Implemented</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.want[:40]+tc.token, func(t *testing.T) {
			require.Equal(t, tc.want, string(ErrorPage(tc.code, tc.token)))
			require.Equal(t, tc.want, string(NewErrorPages(tc.token).Page(tc.code)))
		})
	}
	for _, code := range []int{200, 201, 204, 304, 417, 444, 499, 999} {
		require.Nil(t, ErrorPage(code, "nginx"), "code %d has no body", code)
	}
	ErrorPage(404, "cached")
	require.Zero(t, testing.AllocsPerRun(100, func() { ErrorPage(404, "cached") }))
}

func TestNeedsPadding(t *testing.T) {
	tests := []struct {
		name, ua string
		want     bool
	}{
		{"Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", true},
		{"MSIE 6", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true},
		{"MSIE too short", "MSIE 6", false},
		{"Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", false},
		{"Opera as MSIE", "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1) Opera 8.0", false},
		{"curl", "curl/8.5.0", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, NeedsPadding([]byte(tc.ua)))
		})
	}
	require.Len(t, MSIEPadding, 6*len("<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"))
}
