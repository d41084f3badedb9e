package sshconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
)

// Status receives progress messages while dialing (failed attempts that will be retried).
type Status func(msg string)

// Dial connects to c (through c.Proxy if set). Each hop is attempted up to its dialErrorLimit+1
// times with the SDK's backoff (100 ms growing 1.5x, at most 5 s apart); each attempt, TCP
// connect plus SSH handshake, is bounded by perDialTimeout. A host key mismatch is not retried.
func Dial(ctx context.Context, c Config, status Status) (*ssh.Client, error) {
	cfg, closeAgent, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	if c.Proxy == nil {
		return withRetry(ctx, c, status, func(ctx context.Context) (*ssh.Client, error) {
			return dialTCP(ctx, c, cfg)
		})
	}
	proxyCfg, closeProxyAgent, err := c.Proxy.clientConfig()
	if err != nil {
		return nil, err
	}
	defer closeProxyAgent()
	bastion, err := withRetry(ctx, *c.Proxy, status, func(ctx context.Context) (*ssh.Client, error) {
		return dialTCP(ctx, *c.Proxy, proxyCfg)
	})
	if err != nil {
		return nil, err
	}
	client, err := withRetry(ctx, c, status, func(ctx context.Context) (*ssh.Client, error) {
		return dialVia(ctx, bastion, c, cfg)
	})
	if err != nil {
		_ = bastion.Close()
		return nil, err
	}
	// The bastion connection lives as long as the client tunnelled through it.
	go func() { _ = client.Wait(); _ = bastion.Close() }()
	return client, nil
}

func dialTCP(ctx context.Context, c Config, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	ctx, cancel := attemptContext(ctx, c)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.Endpoint())
	if err != nil {
		return nil, err
	}
	return handshake(ctx, conn, c, cfg)
}

func dialVia(ctx context.Context, bastion *ssh.Client, c Config, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	ctx, cancel := attemptContext(ctx, c)
	defer cancel()
	conn, err := bastion.DialContext(ctx, "tcp", c.Endpoint())
	if err != nil {
		return nil, fmt.Errorf("through the bastion: %w", err)
	}
	return handshake(ctx, conn, c, cfg)
}

func attemptContext(ctx context.Context, c Config) (context.Context, context.CancelFunc) {
	if c.PerDialTimeout > 0 {
		return context.WithTimeout(ctx, c.timeout())
	}
	return context.WithCancel(ctx)
}

// handshake runs the SSH handshake on conn, abandoning it when ctx ends.
func handshake(ctx context.Context, conn net.Conn, c Config, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.Endpoint(), cfg)
	if !stop() {
		if err == nil {
			_ = sc.Close()
		}
		return nil, fmt.Errorf("ssh handshake with %s did not finish within %s.perDialTimeout (%ds)",
			c.Endpoint(), c.what, c.PerDialTimeout)
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

func withRetry(ctx context.Context, c Config, status Status,
	attempt func(context.Context) (*ssh.Client, error),
) (*ssh.Client, error) {
	attempts, total := 0, "unlimited"
	if c.DialErrorLimit >= 0 {
		total = strconv.Itoa(c.DialErrorLimit + 1)
	}
	var last error
	ok, client, err := retry.Until(ctx, retry.Acceptor{
		Accept: func(try int, next time.Duration) (bool, any, error) {
			attempts = try + 1
			client, err := attempt(ctx)
			if err == nil {
				return true, client, nil
			}
			last = err
			if ctx.Err() != nil || errors.Is(err, ErrHostKeyMismatch) ||
				(c.DialErrorLimit >= 0 && attempts > c.DialErrorLimit) {
				return false, nil, err
			}
			status(fmt.Sprintf("Dial %d/%s to %s failed, retrying in %s: %v",
				attempts, total, c.Target(), next.Round(time.Millisecond), err))
			return false, nil, nil
		},
	})
	if ok && err == nil {
		return client.(*ssh.Client), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("connecting to %s: %w after %d attempts (last error: %v)", c.Target(), ctxErr, attempts, last)
	}
	return nil, fmt.Errorf("connecting to %s failed after %d attempt(s) (%s.dialErrorLimit is %d): %w",
		c.Target(), attempts, c.what, c.DialErrorLimit, err)
}
