package sshconn

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// ErrHostKeyMismatch is wrapped by the error of a server presenting another key than the pinned one.
var ErrHostKeyMismatch = errors.New("host key mismatch")

// ParseHostKey reads a public host key in authorized_keys form ("ssh-ed25519 AAAA… comment") or
// as a known_hosts line ("host ssh-ed25519 AAAA…").
func ParseHostKey(text string) (ssh.PublicKey, error) {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(text))
	if err == nil {
		return key, nil
	}
	if _, _, key, _, _, kerr := ssh.ParseKnownHosts([]byte(text)); kerr == nil {
		return key, nil
	}
	return nil, errors.New(`not a public key: expected "<type> <base64> [comment]", as in /etc/ssh/ssh_host_ed25519_key.pub`)
}

// ValidateHostKey is the Check-time validation of `hostKey`.
func ValidateHostKey(text string) error {
	_, err := ParseHostKey(text)
	return err
}

// pinHostKey makes cfg accept only the pinned key, or any key when none is pinned.
func pinHostKey(cfg *ssh.ClientConfig, hostKey *string, what string) error {
	if hostKey == nil {
		//nolint:gosec // Without a pinned key any host key is accepted, as documented for hostKey.
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
		return nil
	}
	want, err := ParseHostKey(*hostKey)
	if err != nil {
		return fmt.Errorf("%s.hostKey: %w", what, err)
	}
	cfg.HostKeyAlgorithms = hostKeyAlgorithms(want.Type())
	cfg.HostKeyCallback = func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return fmt.Errorf("%w: the server presented %s %s, %s.hostKey expects %s %s", ErrHostKeyMismatch,
			got.Type(), ssh.FingerprintSHA256(got), what, want.Type(), ssh.FingerprintSHA256(want))
	}
	return nil
}

// hostKeyAlgorithms asks the server for the pinned key's type; an RSA key is negotiated with
// SHA-2 signatures first, which current OpenSSH servers require.
func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}
