package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const chartConf = `{"cniVersion":"1.0.0","name":"cbr0","type":"flannel",
  "delegate":{"hairpinMode":true,"isDefaultGateway":true}}`

const lease = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"

func mustDelegate(t *testing.T, conf, env string) map[string]any {
	t.Helper()
	n, err := parseNetConf([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	e, err := parseSubnetEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip through JSON: the delegate sees exactly what is marshalled.
	data, _ := json.Marshal(delegateConf(n, e))
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

func TestChartConfigBecomesABridgeOnTheLease(t *testing.T) {
	d := mustDelegate(t, chartConf, lease)
	want := `{"cniVersion":"1.0.0","hairpinMode":true,"ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.244.1.0/24"}]],` +
		`"routes":[{"dst":"10.244.0.0/16"}],"type":"host-local"},"isDefaultGateway":true,"isGateway":true,` +
		`"mtu":1450,"name":"cbr0","type":"bridge"}`
	got, _ := json.Marshal(d)
	if string(got) != want {
		t.Fatalf("delegate\n got %s\nwant %s", got, want)
	}
}

func TestBridgeMasqueradesWhenFlanneldDoesNot(t *testing.T) {
	d := mustDelegate(t, chartConf, strings.Replace(lease, "IPMASQ=true", "IPMASQ=false", 1))
	if d["ipMasq"] != true {
		t.Fatalf("ipMasq = %v, want true", d["ipMasq"])
	}
}

func TestOperatorDelegateKeysWin(t *testing.T) {
	conf := `{"cniVersion":"0.3.1","name":"n","type":"flannel","delegate":{"mtu":1400,"ipMasq":true,"isGateway":false}}`
	d := mustDelegate(t, conf, lease)
	if d["mtu"] != float64(1400) || d["ipMasq"] != true || d["isGateway"] != false || d["cniVersion"] != "0.3.1" {
		t.Fatalf("operator keys overridden: %v", d)
	}
}

func TestDualStackLeaseGivesTwoRangesAndRoutes(t *testing.T) {
	env := lease + "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\n"
	ipam := mustDelegate(t, chartConf, env)["ipam"].(map[string]any)
	if len(ipam["ranges"].([]any)) != 2 || len(ipam["routes"].([]any)) != 2 {
		t.Fatalf("ipam = %v", ipam)
	}
}

func TestIncompleteLeaseNamesWhatIsMissing(t *testing.T) {
	_, err := parseSubnetEnv("FLANNEL_NETWORK=10.244.0.0/16\n")
	if err == nil || !strings.Contains(err.Error(), "FLANNEL_MTU, FLANNEL_IPMASQ, FLANNEL_SUBNET") {
		t.Fatalf("err = %v", err)
	}
	if _, err := parseSubnetEnv(strings.Replace(lease, "/24", "/99", 1)); err == nil {
		t.Fatal("a malformed FLANNEL_SUBNET was accepted")
	}
}

func TestDefaultsForPaths(t *testing.T) {
	n, err := parseNetConf([]byte(chartConf))
	if err != nil || n.SubnetFile != defaultSubnetFile || n.DataDir != defaultDataDir {
		t.Fatalf("n = %+v, err = %v", n, err)
	}
}
