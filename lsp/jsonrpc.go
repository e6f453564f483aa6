package lsp

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// The server's end of JSON-RPC 2.0 with the protocol's header framing
// ("Content-Length: n\r\n\r\n" then n bytes of JSON). The package comment
// says why it is written here. Requests are answered in the order they
// arrive; the server sends notifications, never requests, so a response
// from the client is read and dropped.

// The JSON-RPC error codes used.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	codeInternal       = -32603
)

// Limits on what a client may send: a header block and a message.
const (
	maxHeaderBytes = 8 << 10
	maxMessage     = 64 << 20
)

// rpcError is a JSON-RPC error object, and the error handlers return to
// answer with one.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return e.Message }

func errorf(code int, format string, args ...any) *rpcError {
	return &rpcError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// message is any JSON-RPC message read: a request (ID set), a notification
// (no ID) or a response (no Method).
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// isCall reports whether m expects a response.
func (m *message) isCall() bool { return len(m.ID) > 0 }

// response is a successful or failed response.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result"`
}

type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *rpcError       `json:"error"`
}

type notification struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

// errFraming is a header block that cannot be read: the stream is lost.
var errFraming = errors.New("lsp: malformed message header")

// conn reads and writes framed messages.
type conn struct {
	r   *bufio.Reader
	w   io.Writer
	wmu sync.Mutex
}

// read returns the next message's body.
func (c *conn) read() ([]byte, error) {
	n, seen := -1, 0
	for {
		line, err := c.r.ReadSlice('\n')
		seen += len(line)
		if seen > maxHeaderBytes || errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: a header block over %d bytes", errFraming, maxHeaderBytes)
		}
		if err != nil {
			if errors.Is(err, io.EOF) && seen > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			break
		}
		name, value, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("%w: %q", errFraming, s)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			v, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || v < 0 || v > maxMessage {
				return nil, fmt.Errorf("%w: Content-Length %q (at most %d)", errFraming, value, maxMessage)
			}
			n = v
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: no Content-Length", errFraming)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return body, nil
}

// write sends one message.
func (c *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(b), b)
	return err
}

// notify sends a notification.
func (c *conn) notify(method string, params any) error {
	return c.write(notification{JSONRPC: "2.0", Method: method, Params: params})
}

// reply answers the request id with result, or with err.
func (c *conn) reply(id json.RawMessage, result any, err error) error {
	if err == nil {
		return c.write(response{JSONRPC: "2.0", ID: id, Result: result})
	}
	var re *rpcError
	if !errors.As(err, &re) {
		re = &rpcError{Code: codeInternal, Message: err.Error()}
	}
	return c.write(errorResponse{JSONRPC: "2.0", ID: id, Error: re})
}

// decodeMessage parses a body; a body that is not a request or a
// notification gives the error to answer with (id null).
func decodeMessage(body []byte) (*message, *rpcError) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errorf(codeParse, "parse error: %v", err)
	}
	if m.JSONRPC != "2.0" {
		return nil, errorf(codeInvalidRequest, "not a JSON-RPC 2.0 message")
	}
	if string(m.ID) == "null" {
		m.ID = nil // a response to nothing, or an invalid request
	}
	return &m, nil
}
