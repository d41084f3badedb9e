// Package sshconn dials the SSH connection of the remote resources: authentication, host key
// pinning, bounded dial attempts with backoff, and an optional bastion (proxy) hop.
package sshconn

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"kubelab.local/toolchain/command/internal/props"
)

// Config is one hop of a connection. Password and key fields are secrets: they go to the SSH
// library only, never into a message.
type Config struct {
	Host               string
	Port               int
	User               string
	Password           *string
	PrivateKey         *string
	PrivateKeyPassword *string
	AgentSocketPath    *string
	HostKey            *string
	DialErrorLimit     int // failed attempts tolerated before giving up; -1 = unlimited
	PerDialTimeout     int // seconds per attempt; 0 = no limit
	Proxy              *Config
	// what names the hop in messages: "connection" or "connection.proxy".
	what string
}

// FromProps reads a connection from a plain (unwrapped) `connection` object, with the same
// defaults Check applies.
func FromProps(m resource.PropertyMap) Config {
	c := fromProps(m, "connection")
	if proxy := props.Object(m, "proxy"); proxy != nil {
		p := fromProps(proxy, "connection.proxy")
		c.Proxy = &p
	}
	return c
}

func fromProps(m resource.PropertyMap, what string) Config {
	return Config{
		Host:               props.StrOr(m, "host", ""),
		Port:               props.IntOr(m, "port", 22),
		User:               props.StrOr(m, "user", "root"),
		Password:           props.Str(m, "password"),
		PrivateKey:         props.Str(m, "privateKey"),
		PrivateKeyPassword: props.Str(m, "privateKeyPassword"),
		AgentSocketPath:    props.Str(m, "agentSocketPath"),
		HostKey:            props.Str(m, "hostKey"),
		DialErrorLimit:     props.IntOr(m, "dialErrorLimit", 10),
		PerDialTimeout:     props.IntOr(m, "perDialTimeout", 15),
		what:               what,
	}
}

// Endpoint is host:port.
func (c Config) Endpoint() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Target is user@host:port, for messages.
func (c Config) Target() string { return c.User + "@" + c.Endpoint() }

func (c Config) timeout() time.Duration { return time.Duration(c.PerDialTimeout) * time.Second }

// clientConfig builds the SSH client configuration. The returned closer releases the agent
// connection, if one was opened.
func (c Config) clientConfig() (*ssh.ClientConfig, func(), error) {
	cfg := &ssh.ClientConfig{User: c.User, Timeout: c.timeout()}
	if err := pinHostKey(cfg, c.HostKey, c.what); err != nil {
		return nil, nil, err
	}
	if c.PrivateKey != nil {
		signer, err := parsePrivateKey(*c.PrivateKey, c.PrivateKeyPassword)
		if err != nil {
			return nil, nil, fmt.Errorf("%s.privateKey: %w", c.what, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != nil {
		pw := *c.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	closer, err := c.addAgent(cfg)
	return cfg, closer, err
}

func parsePrivateKey(key string, passphrase *string) (ssh.Signer, error) {
	if passphrase != nil {
		return ssh.ParsePrivateKeyWithPassphrase([]byte(key), []byte(*passphrase))
	}
	return ssh.ParsePrivateKey([]byte(key))
}

// addAgent offers the keys of an SSH agent: the one at agentSocketPath (an error if it cannot
// be reached), else the one named by SSH_AUTH_SOCK when it answers.
func (c Config) addAgent(cfg *ssh.ClientConfig) (func(), error) {
	path, explicit := "", c.AgentSocketPath != nil
	if explicit {
		path = *c.AgentSocketPath
	} else {
		path = os.Getenv("SSH_AUTH_SOCK")
	}
	if path == "" {
		return func() {}, nil
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		if explicit {
			return nil, fmt.Errorf("%s.agentSocketPath: cannot reach the SSH agent: %w", c.what, err)
		}
		return func() {}, nil
	}
	cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	return func() { _ = conn.Close() }, nil
}
