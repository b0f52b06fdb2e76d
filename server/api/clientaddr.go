package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// TrustProxies wraps h so that a request from one of proxies is taken to
// come from the address that proxy appended to X-Forwarded-For (the
// rightmost address that is not itself a trusted proxy). From any other
// peer X-Forwarded-For and X-Real-IP are ignored and removed: anyone could
// send a fresh address with every login attempt. The client address is
// put in r.RemoteAddr, which the API reads (login rate limits, logs).
// With no proxies, h is returned as is and no header is believed.
func TrustProxies(h http.Handler, proxies []netip.Prefix) http.Handler {
	if len(proxies) == 0 {
		return h
	}
	trusted := func(ip netip.Addr) bool {
		for _, p := range proxies {
			if p.Contains(ip.Unmap()) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && trusted(peer.Addr()) {
			if client, ok := forwardedClient(r.Header.Values("X-Forwarded-For"), trusted); ok {
				r.RemoteAddr = netip.AddrPortFrom(client, peer.Port()).String()
			}
		}
		r.Header.Del("X-Forwarded-For")
		r.Header.Del("X-Real-IP")
		h.ServeHTTP(w, r)
	})
}

// forwardedClient walks X-Forwarded-For from the right, past trusted
// proxies, to the first address a trusted proxy vouches for.
func forwardedClient(values []string, trusted func(netip.Addr) bool) (netip.Addr, bool) {
	hops := strings.Split(strings.Join(values, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		if !trusted(ip) || i == 0 {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// PrefixList is a flag.Value of CIDR prefixes (or single addresses),
// repeatable and comma-separated: --trusted-proxy 10.0.0.0/8,127.0.0.1.
type PrefixList []netip.Prefix

// String implements flag.Value.
func (l *PrefixList) String() string {
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Set implements flag.Value.
func (l *PrefixList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			ip, ierr := netip.ParseAddr(part)
			if ierr != nil {
				return fmt.Errorf("%q is not a CIDR prefix or an IP address", part)
			}
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		*l = append(*l, p.Masked())
	}
	return nil
}
