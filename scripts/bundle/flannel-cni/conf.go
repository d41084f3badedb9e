package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// netConf is the flannel entry of a CNI network list, as the flannel chart writes it.
type netConf struct {
	CNIVersion string         `json:"cniVersion"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	SubnetFile string         `json:"subnetFile"`
	DataDir    string         `json:"dataDir"`
	Delegate   map[string]any `json:"delegate"`
	IPAM       map[string]any `json:"ipam"`
	// Capability arguments (portMappings, bandwidth, ...) the runtime passes; the delegate gets them.
	RuntimeConfig map[string]any `json:"runtimeConfig,omitempty"`
}

const (
	defaultSubnetFile = "/run/flannel/subnet.env"
	defaultDataDir    = "/var/lib/cni/flannel"
)

func parseNetConf(data []byte) (*netConf, error) {
	n := &netConf{SubnetFile: defaultSubnetFile, DataDir: defaultDataDir}
	if err := json.Unmarshal(data, n); err != nil {
		return nil, fmt.Errorf("network configuration: %w", err)
	}
	if n.Delegate == nil {
		n.Delegate = map[string]any{}
	}
	return n, nil
}

// subnetEnv is what flanneld writes for this node into subnet.env once it holds a lease.
type subnetEnv struct {
	networks []*net.IPNet // the whole pod network(s), routed through the bridge
	subnets  []*net.IPNet // this node's slice(s), handed out by host-local
	mtu      int
	ipMasq   bool // true when flanneld itself masquerades traffic leaving the pod network
}

func parseCIDRs(key, value string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(value, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", key, value, err)
		}
		// FLANNEL_SUBNET names the gateway address (10.244.1.1/24); host-local wants the network.
		out = append(out, &net.IPNet{IP: ip.Mask(n.Mask), Mask: n.Mask})
	}
	return out, nil
}

func parseSubnetEnv(text string) (*subnetEnv, error) {
	env := &subnetEnv{}
	seen := map[string]bool{}
	scanner := bufio.NewScanner(strings.NewReader(text))
	for scanner.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(scanner.Text()), "=")
		if !ok {
			continue
		}
		seen[key] = true
		var err error
		var cidrs []*net.IPNet
		switch key {
		case "FLANNEL_NETWORK", "FLANNEL_IPV6_NETWORK":
			cidrs, err = parseCIDRs(key, value)
			env.networks = append(env.networks, cidrs...)
		case "FLANNEL_SUBNET", "FLANNEL_IPV6_SUBNET":
			cidrs, err = parseCIDRs(key, value)
			env.subnets = append(env.subnets, cidrs...)
		case "FLANNEL_MTU":
			env.mtu, err = strconv.Atoi(value)
		case "FLANNEL_IPMASQ":
			env.ipMasq, err = strconv.ParseBool(value)
		}
		if err != nil {
			return nil, fmt.Errorf("subnet file: %w", err)
		}
	}
	var missing []string
	for _, key := range []string{"FLANNEL_MTU", "FLANNEL_IPMASQ"} {
		if !seen[key] {
			missing = append(missing, key)
		}
	}
	if len(env.subnets) == 0 {
		missing = append(missing, "FLANNEL_SUBNET or FLANNEL_IPV6_SUBNET")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("subnet file lacks %s (is flanneld running on this node?)", strings.Join(missing, ", "))
	}
	return env, nil
}

func setDefault(m map[string]any, key string, value any) {
	if _, ok := m[key]; !ok {
		m[key] = value
	}
}

// delegateConf is the configuration handed to the delegate plugin (a bridge unless the network
// configuration names another): keys the operator set in `delegate` win over flannel's lease.
func delegateConf(n *netConf, env *subnetEnv) map[string]any {
	d := map[string]any{}
	for k, v := range n.Delegate {
		d[k] = v
	}
	d["name"] = n.Name
	setDefault(d, "type", "bridge")
	// flanneld masquerading already? Then the bridge must not do it a second time.
	setDefault(d, "ipMasq", !env.ipMasq)
	setDefault(d, "mtu", env.mtu)
	if d["type"] == "bridge" {
		setDefault(d, "isGateway", true)
	}
	if n.CNIVersion != "" {
		d["cniVersion"] = n.CNIVersion
	}
	if n.RuntimeConfig != nil {
		d["runtimeConfig"] = n.RuntimeConfig
	}
	d["ipam"] = delegateIPAM(n.IPAM, env)
	return d
}

func delegateIPAM(base map[string]any, env *subnetEnv) map[string]any {
	ipam := map[string]any{}
	for k, v := range base {
		ipam[k] = v
	}
	setDefault(ipam, "type", "host-local")
	ranges := [][]map[string]string{}
	for _, s := range env.subnets {
		ranges = append(ranges, []map[string]string{{"subnet": s.String()}})
	}
	ipam["ranges"] = ranges
	routes := []any{}
	if existing, ok := ipam["routes"].([]any); ok {
		routes = append(routes, existing...)
	}
	for _, nw := range env.networks {
		routes = append(routes, map[string]string{"dst": nw.String()})
	}
	ipam["routes"] = routes
	return ipam
}
