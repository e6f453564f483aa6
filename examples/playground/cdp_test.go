package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// browser is headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: the browser reads requests on its fd 3 and
// writes answers and events on fd 4, each a JSON object ending in a NUL).
// It runs in real time: the page's checker runs in a Web Worker, which
// Chromium's virtual time (--virtual-time-budget) does not wait for.
type browser struct {
	cmd     *exec.Cmd
	w       *os.File
	r       *bufio.Reader
	next    int
	session string
}

// startBrowser starts Chromium with a page of width×height CSS pixels
// showing about:blank; ctx's end kills it.
func startBrowser(ctx context.Context, chromium, profile string, width, height int) (*browser, error) {
	toBrowser, ourW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ourR, fromBrowser, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	toBrowser.Close()
	fromBrowser.Close()
	b := &browser{cmd: cmd, w: ourW, r: bufio.NewReader(ourR)}
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.close()
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		b.close()
		return nil, err
	}
	b.session = att.SessionID
	err = b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	if err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// call sends a request (to the page once attached) and decodes its result
// into result, skipping the events that come before the answer.
func (b *browser) call(method string, params any, result any) error {
	b.next++
	msg := map[string]any{"id": b.next, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	req, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.w.Write(append(req, 0)); err != nil {
		return err
	}
	for {
		line, err := b.r.ReadBytes(0)
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &resp); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		switch {
		case resp.ID != b.next:
			continue // an event
		case resp.Error != nil:
			return fmt.Errorf("%s: %s", method, resp.Error.Message)
		case result != nil:
			return json.Unmarshal(resp.Result, result)
		}
		return nil
	}
}

// eval evaluates a JavaScript expression in the page and returns its
// value as a string.
func (b *browser) eval(expr string) (string, error) {
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return "", err
	}
	if r.ExceptionDetails != nil {
		return "", fmt.Errorf("%s: %v", expr, r.ExceptionDetails)
	}
	s, _ := r.Result.Value.(string)
	return s, nil
}

// open navigates to url and waits until the expression done is true
// (polling), or ctx ends.
func (b *browser) open(ctx context.Context, url, done string) error {
	if err := b.call("Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return err
	}
	for {
		ok, err := b.eval("String(" + done + ")")
		if err != nil {
			return err
		}
		if ok == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("timed out waiting for " + done)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// screenshot writes the page as a PNG file.
func (b *browser) screenshot(path string) error {
	var r struct {
		Data string `json:"data"`
	}
	if err := b.call("Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// close ends the browser.
func (b *browser) close() {
	b.session = ""
	_ = b.call("Browser.close", map[string]any{}, nil)
	b.w.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
