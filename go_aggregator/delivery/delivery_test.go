package delivery_test

import (
	"net/netip"
	"testing"

	"finance/go_aggregator/delivery"
)

func TestInternal(t *testing.T) {
	internal := []string{
		"127.0.0.1", "127.255.0.9", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fc00::1",
		"fd12:3456::1", "169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "100.64.0.1",
		"100.127.255.255", "0.1.2.3", "240.0.0.1", "255.255.255.255",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:100.64.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:c0a8:101::", "192.0.2.1", "2001:db8::1", "2001:0:4136:e378::1",
	}
	public := []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8",
		"64:ff9b::808:808", "2002:808:808::1"}
	for _, s := range internal {
		if !delivery.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s: not refused", s)
		}
	}
	for _, s := range public {
		if delivery.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s: refused", s)
		}
	}
}
