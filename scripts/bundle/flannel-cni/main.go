// Command flannel is a CNI plugin for flannel's pod network: it reads the lease flanneld wrote
// for this node (subnet.env) and hands the pod to a bridge with host-local addresses from that
// lease. It reads the configuration the flannel chart installs (type "flannel" with a "delegate"
// section) and keeps each pod's delegate configuration so that DEL undoes exactly what ADD did.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// Version is set at build time.
var Version = "dev"

func main() {
	skel.PluginMainFuncs(skel.CNIFuncs{Add: cmdAdd, Del: cmdDel, Check: cmdCheck}, version.All,
		"kubelab flannel CNI plugin "+Version)
}

func savedPath(n *netConf, containerID string) string {
	return filepath.Join(n.DataDir, containerID)
}

func cmdAdd(args *skel.CmdArgs) error {
	n, err := parseNetConf(args.StdinData)
	if err != nil {
		return err
	}
	text, err := os.ReadFile(n.SubnetFile)
	if err != nil {
		return fmt.Errorf("reading %s (is flanneld running on this node?): %w", n.SubnetFile, err)
	}
	env, err := parseSubnetEnv(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", n.SubnetFile, err)
	}
	conf, err := json.Marshal(delegateConf(n, env))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(n.DataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(savedPath(n, args.ContainerID), conf, 0o600); err != nil {
		return err
	}
	result, err := invoke.DelegateAdd(context.TODO(), delegateType(conf), conf, nil)
	if err != nil {
		return err
	}
	return types.PrintResult(result, n.CNIVersion)
}

func delegateType(conf []byte) string {
	var t struct{ Type string }
	_ = json.Unmarshal(conf, &t)
	return t.Type
}

// cmdDel is idempotent: a pod whose ADD never got this far has nothing to undo.
func cmdDel(args *skel.CmdArgs) error {
	n, err := parseNetConf(args.StdinData)
	if err != nil {
		return err
	}
	path := savedPath(n, args.ContainerID)
	conf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if err := invoke.DelegateDel(context.TODO(), delegateType(conf), conf, nil); err != nil {
		return err
	}
	return os.Remove(path)
}

func cmdCheck(args *skel.CmdArgs) error {
	n, err := parseNetConf(args.StdinData)
	if err != nil {
		return err
	}
	conf, err := os.ReadFile(savedPath(n, args.ContainerID))
	if err != nil {
		return fmt.Errorf("no saved delegate configuration for %s: %w", args.ContainerID, err)
	}
	return invoke.DelegateCheck(context.TODO(), delegateType(conf), conf, nil)
}
