package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/wire"
)

const smsSynopsis = "inbound --from E164 --to E164 --text TEXT [--data DIR | --url URL]"

// runSMS is loupe sms SUBCOMMAND: today only "inbound".
func runSMS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "inbound":
			return runSMSInbound(ctx, args[1:], stdout, stderr)
		case "-h", "-help", "--help", "help":
			fmt.Fprintf(stdout, "usage: loupe sms %s\n", smsSynopsis)
			return exitOK
		}
		return usageError(stderr, "sms: unknown subcommand %q (want inbound)\nusage: loupe sms %s", args[0], smsSynopsis)
	}
	return usageError(stderr, "sms: want a subcommand (inbound)\nusage: loupe sms %s", smsSynopsis)
}

// smsFlags names the flag of each field of an inbound text's JSON, so an
// error of textin.ParseMessage names what the user typed.
var smsFlags = map[string]string{
	"originationNumber": "--from",
	"destinationNumber": "--to",
	"messageBody":       "--text",
}

// smsTimeout bounds the request to a running serve (--url).
const smsTimeout = 30 * time.Second

// runSMSInbound is loupe sms inbound --from E164 --to E164 --text TEXT
// [--data DIR | --url URL]: an inbound text as the two-way SMS topic
// delivers it, through textin.ParseMessage, then textin.Service.Inbound on
// the data directory (the local outbox answers STOP and HELP) or POST
// /sms/inbound of the serve at --url (with LOUPE_API_TOKEN). It prints the
// answer (httpapi.InboundResult) as one JSON line. Exits 2 for a bad
// command line (naming the flag), 1 when the text could not be handled,
// the server refused it, or its reply could not be sent.
func runSMSInbound(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sms inbound", stderr, "--from E164 --to E164 --text TEXT [--data DIR | --url URL]")
	from := fs.String("from", "", "the client's number the text came from (E.164: +12125550142)")
	to := fs.String("to", "", "Loupe's number the client texted (E.164)")
	text := fs.String("text", "", "the text, as the client wrote it (STOP, HELP, START, ...)")
	dataDir := fs.String("data", defaultDataDir, "data directory")
	serveURL := fs.String("url", "", "a running loupe serve (http://127.0.0.1:8080) to POST /sms/inbound to, instead of --data")
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if fs.NArg() > 0 {
		return usageWhy(fs, stderr, "sms inbound: unexpected argument %q (quote a --text of several words)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"from", "to", "text"} {
		if !set[name] {
			return usageError(stderr, "sms inbound: --%s is required", name)
		}
	}
	if set["data"] && set["url"] {
		return usageError(stderr, "sms inbound: --data and --url: give one (the data directory, or a running loupe serve)")
	}
	body, err := json.Marshal(textin.Message{From: *from, To: *to, Body: *text})
	if err != nil {
		return fail(stderr, "sms inbound: %v", err)
	}
	m, err := textin.ParseMessage(body)
	if err != nil {
		name := smsFlags[loupe.ErrorField(err)]
		if name == "" {
			name = loupe.ErrorField(err)
		}
		return usageError(stderr, "sms inbound: %s: %s", name, loupe.ErrorMessage(err))
	}
	if set["url"] {
		target, msg := inboundURL(*serveURL)
		if msg != "" {
			return usageError(stderr, "sms inbound: --url %s", msg)
		}
		token := strings.TrimSpace(os.Getenv(wire.EnvAPIToken))
		if token == "" {
			return fail(stderr, "sms inbound: --url needs %s (the API token loupe serve printed or was given)", wire.EnvAPIToken)
		}
		res, err := postInbound(ctx, target, token, body)
		if err != nil {
			return fail(stderr, "sms inbound: %v", err)
		}
		return printInbound(stdout, stderr, res)
	}
	return withApp(ctx, "sms inbound", *dataDir, stderr, func(a *app) int {
		res, err := a.svc.Texts.Inbound(ctx, m)
		if err != nil {
			return fail(stderr, "sms inbound: %v", err)
		}
		return printInbound(stdout, stderr, httpapi.InboundResultOf(res))
	})
}

// inboundURL returns base's POST /sms/inbound address, or a reason base is
// not an http(s) URL.
func inboundURL(base string) (string, string) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Sprintf("%q: want the http(s) address of a running loupe serve, such as http://127.0.0.1:8080", base)
	}
	return strings.TrimRight(base, "/") + "/sms/inbound", ""
}

// postInbound posts an inbound text's JSON to target with the API token
// and returns the server's answer. Returns an error naming the status and
// the server's error message for a non-2xx answer, or the transport error.
func postInbound(ctx context.Context, target, token string, body []byte) (httpapi.InboundResult, error) {
	ctx, cancel := context.WithTimeout(ctx, smsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return httpapi.InboundResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpapi.InboundResult{}, fmt.Errorf("reach loupe serve: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, httpapi.MaxBodyBytes))
	if err != nil {
		return httpapi.InboundResult{}, fmt.Errorf("read the answer of %s: %w", target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
			if f := smsFlags[e.Error.Field]; f != "" {
				msg = f + ": " + msg
			}
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return httpapi.InboundResult{}, fmt.Errorf("%s answered %s: %s", target, resp.Status, msg)
	}
	var res httpapi.InboundResult
	if err := json.Unmarshal(b, &res); err != nil {
		return httpapi.InboundResult{}, fmt.Errorf("%s answered %s with unreadable JSON: %w", target, resp.Status, err)
	}
	return res, nil
}

// printInbound writes res as one JSON line; it fails (exit 1) when the
// reply this call claimed could not be sent (it is not sent again).
func printInbound(stdout, stderr io.Writer, res httpapi.InboundResult) int {
	b, err := json.Marshal(res)
	if err != nil {
		return fail(stderr, "sms inbound: %v", err)
	}
	fmt.Fprintf(stdout, "%s\n", b)
	if res.ReplyFailed {
		return fail(stderr, "sms inbound: message %s: the %s could not be sent and is not sent again; the text itself is recorded", res.MessageID, res.Reply)
	}
	return exitOK
}
