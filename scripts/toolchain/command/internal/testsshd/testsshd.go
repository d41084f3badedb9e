// Package testsshd runs a throwaway OpenSSH server on 127.0.0.1 for tests: its own host key,
// one authorized client key, in a temporary directory, stopped when the test ends.
package testsshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Server is a running sshd.
type Server struct {
	Port       int
	User       string
	PrivateKey string // the authorized client key, OpenSSH PEM
	HostKey    string // the server's public host key, authorized_keys form
	Dir        string
}

// Start runs sshd for the test, or skips the test when sshd cannot run here.
func Start(t *testing.T) *Server {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
		if _, err := os.Stat(sshd); err != nil {
			t.Skip("sshd is not installed (apt-get install openssh-server): skipping SSH tests")
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("sshd needs root to switch to the test user: skipping SSH tests")
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Skipf("cannot create /run/sshd: %v", err)
	}
	dir := t.TempDir()
	s := &Server{User: "root", Dir: dir}
	hostPub := writeKey(t, filepath.Join(dir, "host_key"))
	s.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostPub)))
	clientPub := writeKey(t, filepath.Join(dir, "client_key"))
	s.PrivateKey = readFile(t, filepath.Join(dir, "client_key"))
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(ssh.MarshalAuthorizedKey(clientPub)))
	s.Port = freePort(t)
	writeFile(t, filepath.Join(dir, "sshd_config"), config(dir, s.Port))
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.Stderr = &logWriter{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, s.Port)
	return s
}

func config(dir string, port int) string {
	return fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AcceptEnv KUBELAB_* PULUMI_COMMAND_*
Subsystem sftp /usr/lib/openssh/sftp-server
`, port, dir, dir, dir)
}

// writeKey writes a new ed25519 private key to path and returns its public key.
func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(pem.EncodeToMemory(block)))
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub
}

// NewKey returns a fresh public key in authorized_keys form (one the server does not have).
func NewKey(t *testing.T) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(writeKey(t, filepath.Join(t.TempDir(), "k")))))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// ClosedPort returns a loopback port that refuses connections.
func ClosedPort(t *testing.T) int { return freePort(t) }

func waitListening(t *testing.T, port int) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on %s", addr)
}

type logWriter struct{ t *testing.T }

func (w *logWriter) Write(p []byte) (int, error) {
	w.t.Logf("sshd: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}
