// Package delivery sends webhook deliveries over HTTP: one POST per attempt,
// signed as Standard Webhooks says, redirects not followed, and connections
// to private, loopback and other internal addresses refused after DNS
// resolution (so a name that resolves to one, or that changes what it
// resolves to after the webhook was created, is caught at the connection).
package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	aggregator "finance/go_aggregator"
)

// UserAgent is sent with every attempt.
const UserAgent = "finance-webhooks/1 (+aggregator deliver)"

// AllowPrivateEnv is the environment variable that, set to "true", lets
// deliveries reach private and loopback addresses (tests, local receivers).
const AllowPrivateEnv = "WEBHOOK_ALLOW_PRIVATE_ADDRESSES"

// maxErrorBody is how much of a refusing answer's body last_error keeps.
const maxErrorBody = 200

// Ensure Sender implements the pass's sender.
var _ aggregator.WebhookSender = (*Sender)(nil)

// Sender posts deliveries.
type Sender struct {
	client *http.Client
	// Now, when set, is the clock of webhook-timestamp (tests).
	Now func() time.Time
}

// NewSender returns a Sender whose attempts last at most timeout each,
// refusing internal addresses unless allowPrivate.
func NewSender(timeout time.Duration, allowPrivate bool) *Sender {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = refuseInternal
	}
	transport := &http.Transport{
		// No proxy: a proxy would make the connection, and the address check
		// would see the proxy's address instead of the receiver's.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Sender{client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A redirect is not a delivery: the 3xx is the attempt's answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Send posts one attempt of d.
func (s *Sender) Send(ctx context.Context, d *aggregator.Delivery) aggregator.Attempt {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	a := aggregator.Attempt{At: now().UTC()}
	msgID := d.ID.String()
	timestamp := a.At.Unix()
	signature, err := aggregator.SignWebhook(d.Secret, msgID, timestamp, d.Payload)
	if err != nil {
		a.Error = aggregator.ErrorMessage(err)
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		a.Error = fmt.Sprintf("invalid url: %v", err)
		return a
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		a.Error = fmt.Sprintf("invalid url: scheme %q is not http or https", req.URL.Scheme)
		return a
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", UserAgent)
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(timestamp, 10))
	req.Header.Set("webhook-signature", signature)
	resp, err := s.client.Do(req)
	if err != nil {
		a.Error = describe(err)
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	// Read a little of the answer: for last_error, and so the connection can
	// be reused; a receiver that streams more is not waited for.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if !a.Delivered() {
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		if text := strings.Join(strings.Fields(string(body)), " "); text != "" {
			a.Error += ": " + aggregator.TruncateChars(text, maxErrorBody)
		}
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			a.Error += " (redirect to " + aggregator.TruncateChars(loc, maxErrorBody) + " not followed)"
		}
	}
	return a
}

// describe reduces a client error to what the user needs in last_error.
func describe(err error) string {
	var refused *RefusedAddressError
	if errors.As(err, &refused) {
		return refused.Error()
	}
	var urlErr interface{ Timeout() bool }
	if errors.As(err, &urlErr) && urlErr.Timeout() {
		return "no answer within the timeout: " + err.Error()
	}
	return err.Error()
}

// RefusedAddressError is a connection refused because of where it leads.
type RefusedAddressError struct {
	Addr netip.Addr
}

func (e *RefusedAddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s: a private, loopback, link-local or reserved address (set %s=true to allow)", e.Addr, AllowPrivateEnv)
}

// refuseInternal is the dialer's Control: it runs for each address the name
// resolved to, just before connecting.
func refuseInternal(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if Internal(addr) {
		return &RefusedAddressError{Addr: addr}
	}
	return nil
}

// internalPrefixes are the ranges no webhook may reach beside those netip
// classifies (loopback, private, link-local, multicast, unspecified): the
// same as webhooks/addresses.py refuses at creation.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo (an IPv4 address, obfuscated)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// IPv6 ranges that carry an IPv4 address, judged by that address.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // in the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // in bits 16-47
)

// Internal reports whether addr is one a delivery must not reach: loopback,
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16,
// fe80::/10), unspecified, multicast, shared (100.64/10), 0/8, reserved
// (240/4), documentation and benchmarking ranges, and IPv6 forms that carry
// one of those IPv4 addresses (IPv4-mapped, NAT64, 6to4).
func Internal(addr netip.Addr) bool {
	addr = addr.Unmap()
	if b := addr.As16(); addr.Is6() && nat64.Contains(addr) {
		addr = netip.AddrFrom4([4]byte(b[12:16]))
	} else if addr.Is6() && sixToFour.Contains(addr) {
		addr = netip.AddrFrom4([4]byte(b[2:6]))
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
