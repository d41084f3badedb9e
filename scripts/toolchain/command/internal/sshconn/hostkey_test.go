package sshconn

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

const edKey = "AAAAC3NzaC1lZDI1NTE5AAAAIEF5DnbWzRJ6UTYbcHr+mnYRItivcWnaw2EQ+1YB0ZXa"

func TestParseHostKeyForms(t *testing.T) {
	for _, text := range []string{
		"ssh-ed25519 " + edKey,
		"ssh-ed25519 " + edKey + " root@node\n",
		"10.0.0.5 ssh-ed25519 " + edKey,
		"[10.0.0.5]:2222 ssh-ed25519 " + edKey,
	} {
		key, err := ParseHostKey(text)
		if err != nil {
			t.Errorf("ParseHostKey(%q): %v", text, err)
			continue
		}
		if key.Type() != ssh.KeyAlgoED25519 {
			t.Errorf("ParseHostKey(%q) type = %s", text, key.Type())
		}
	}
	if _, err := ParseHostKey("ssh-ed25519 not-base64"); err == nil {
		t.Error("a broken key was accepted")
	}
}

func TestPinnedHostKeyRefusesAnotherKey(t *testing.T) {
	cfg := &ssh.ClientConfig{}
	pin := "ssh-ed25519 " + edKey
	if err := pinHostKey(cfg, &pin, "connection"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.HostKeyAlgorithms, ",") != ssh.KeyAlgoED25519 {
		t.Errorf("HostKeyAlgorithms = %v", cfg.HostKeyAlgorithms)
	}
	want, _ := ParseHostKey(pin)
	if err := cfg.HostKeyCallback("h:22", nil, want); err != nil {
		t.Errorf("the pinned key was refused: %v", err)
	}
	other, _ := ParseHostKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ")
	err := cfg.HostKeyCallback("h:22", nil, other)
	if !errors.Is(err, ErrHostKeyMismatch) || !strings.Contains(err.Error(), "connection.hostKey expects") {
		t.Errorf("another key: err = %v", err)
	}
}

func TestRSAPinNegotiatesSHA2(t *testing.T) {
	got := hostKeyAlgorithms(ssh.KeyAlgoRSA)
	if got[0] != ssh.KeyAlgoRSASHA512 || got[len(got)-1] != ssh.KeyAlgoRSA {
		t.Errorf("hostKeyAlgorithms(ssh-rsa) = %v", got)
	}
}
